import { z } from 'zod';
import { ApiError } from './api-error.js';
import { parseRequestInput } from './request-input.js';

function rejection(schema: z.ZodType, input: unknown): { field?: string; message: string } {
  try {
    parseRequestInput(schema, input);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400 || error.code !== 'INVALID_REQUEST')
      throw error;
    return {
      message: error.message,
      ...(error.options.field === undefined ? {} : { field: error.options.field }),
    };
  }
  throw new Error('the input was accepted');
}

describe('request input', () => {
  const runtime = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('process'), command: z.string().min(1) }),
    z.strictObject({ kind: z.literal('http'), url: z.string() }),
  ]);
  const schema = z.strictObject({
    name: z.string().trim().min(1).max(5),
    capabilities: z.object({ timeout: z.int().min(1), privileged: z.boolean().default(false) }),
    runtime,
    query: z
      .string()
      .regex(/^[^#]*$/, 'must not contain "#"')
      .optional(),
  });
  const valid = { name: 'echo', capabilities: { timeout: 5 }, runtime: { kind: 'http', url: 'x' } };

  test('is the schema output when it is valid', () => {
    expect(parseRequestInput(schema, { ...valid, name: ' echo ' })).toEqual({
      ...valid,
      name: 'echo',
      capabilities: { timeout: 5, privileged: false },
    });
  });

  test.each([
    [{ name: undefined }, 'name', 'name is required'],
    [{ name: 3 }, 'name', 'name must be a string'],
    [{ name: '   ' }, 'name', 'name must not be empty'],
    [{ name: 'longer' }, 'name', 'name must have at most 5 characters'],
    [{ capabilities: {} }, 'capabilities.timeout', 'capabilities.timeout is required'],
    [
      { capabilities: { timeout: 1.5 } },
      'capabilities.timeout',
      'capabilities.timeout must be an integer',
    ],
    [
      { capabilities: { timeout: 0 } },
      'capabilities.timeout',
      'capabilities.timeout must be at least 1',
    ],
    [
      { capabilities: { timeout: 1, privileged: 'yes' } },
      'capabilities.privileged',
      'capabilities.privileged must be a boolean',
    ],
    [
      { runtime: { kind: 'wasm' } },
      'runtime.kind',
      'runtime.kind must be one of "process", "http"',
    ],
    [{ query: 'a#b' }, 'query', 'query must not contain "#"'],
  ])('%j is refused naming %s', (change, field, message) => {
    expect(rejection(schema, { ...valid, ...change })).toEqual({ field, message });
  });

  test('an unknown field at the top is named by itself; deeper down, by its object', () => {
    expect(rejection(schema, { ...valid, timezone: 'UTC' })).toEqual({
      field: 'timezone',
      message: 'timezone is not a known field (known: name, capabilities, runtime, query)',
    });
    expect(
      rejection(schema, { ...valid, runtime: { kind: 'process', command: 'x', argz: [] } }),
    ).toEqual({
      field: 'runtime',
      message: 'runtime has an unknown field "argz" (known: kind, command)',
    });
  });

  test("a schema's own words win", () => {
    const strict = z.strictObject(
      { a: z.string().optional() },
      {
        error: (issue) => (issue.code === 'unrecognized_keys' ? 'is not allowed here' : undefined),
      },
    );
    expect(rejection(strict, { b: 1 })).toEqual({ field: 'b', message: 'b is not allowed here' });
    expect(rejection(strict, { a: 1 })).toEqual({ field: 'a', message: 'a must be a string' });
  });

  test('a problem of the whole input names no field', () => {
    const pair = z
      .object({ a: z.int(), b: z.int() })
      .refine(({ a, b }) => a < b, 'a must be less than b');
    expect(rejection(pair, { a: 2, b: 1 })).toEqual({ message: 'a must be less than b' });
  });
});
