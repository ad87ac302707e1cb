import { z } from 'zod';
import { ContractViolationError, decodeJson, parseContract } from './contract-violation.js';

const schema = z.object({
  name: z.string().min(2),
  count: z.int().min(0).max(10),
  positive: z.int().gt(0),
  kind: z.enum(['A', 'B']),
  items: z.array(z.object({ id: z.string() })).max(2),
});
const valid = { name: 'ab', count: 3, positive: 1, kind: 'A', items: [{ id: 'x' }] };

function violationOf(value: unknown): ContractViolationError {
  try {
    parseContract(schema, 'sample', value);
  } catch (error) {
    if (error instanceof ContractViolationError) return error;
    throw error;
  }
  throw new Error('expected a ContractViolationError');
}

describe('parseContract', () => {
  test('returns the valid value', () => {
    expect(parseContract(schema, 'sample', valid)).toEqual(valid);
  });

  test('drops keys the contract does not know, so newer senders stay readable', () => {
    expect(parseContract(schema, 'sample', { ...valid, addedLater: true })).toEqual(valid);
  });

  test.each([
    ['a missing field', { ...valid, name: undefined }, 'name', 'Invalid sample: name is required'],
    ['a wrong type', { ...valid, count: '3' }, 'count', 'Invalid sample: count must be a number'],
    ['a fraction', { ...valid, count: 1.5 }, 'count', 'Invalid sample: count must be an integer'],
    [
      'a number below its minimum',
      { ...valid, count: -1 },
      'count',
      'Invalid sample: count must be at least 0',
    ],
    [
      'a number above its maximum',
      { ...valid, count: 11 },
      'count',
      'Invalid sample: count must be at most 10',
    ],
    [
      'a number not above an exclusive minimum',
      { ...valid, positive: 0 },
      'positive',
      'Invalid sample: positive must be greater than 0',
    ],
    [
      'a short string',
      { ...valid, name: 'a' },
      'name',
      'Invalid sample: name must have at least 2 characters',
    ],
    [
      'a value outside an enum',
      { ...valid, kind: 'C' },
      'kind',
      'Invalid sample: kind must be "A" or "B"',
    ],
    [
      'a nested field in an array',
      { ...valid, items: [{ id: 'x' }, { id: 7 }] },
      'items.1.id',
      'Invalid sample: items.1.id must be a string',
    ],
    [
      'a long array',
      { ...valid, items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] },
      'items',
      'Invalid sample: items must have at most 2 items',
    ],
    ['a value that is not an object', 42, '', 'Invalid sample: must be an object'],
  ])('names the offending field of %s', (_case, value, field, message) => {
    const violation = violationOf(value);
    expect(violation.field).toBe(field);
    expect(violation.message).toBe(message);
    expect(violation.contract).toBe('sample');
    expect(violation.code).toBe('CONTRACT_VIOLATION');
    expect(violation).toBeInstanceOf(Error);
  });

  test('reports the first offending field when several are wrong', () => {
    expect(violationOf({ ...valid, name: 1, kind: 'Z' }).field).toBe('name');
  });

  test('names the allowed values of a discriminator', () => {
    const union = z.discriminatedUnion('type', [
      z.object({ type: z.literal('A') }),
      z.object({ type: z.literal('B') }),
    ]);
    expect(() => parseContract(union, 'letter', { type: 'C' })).toThrow(
      'Invalid letter: type must be one of "A", "B"',
    );
  });
});

describe('decodeJson', () => {
  test('decodes bytes and strings', () => {
    expect(decodeJson(new TextEncoder().encode('{"a":[1,null]}'), 'sample')).toEqual({
      a: [1, null],
    });
    expect(decodeJson('"x"', 'sample')).toBe('x');
  });

  test.each([
    ['text that is not JSON', '{"a":'],
    ['bytes that are not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
    ['an empty payload', new Uint8Array()],
  ])('rejects %s', (_case, payload) => {
    expect(() => decodeJson(payload, 'sample')).toThrow(ContractViolationError);
  });
});
