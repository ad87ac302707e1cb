import { randomUUID } from 'node:crypto';
import {
  checkAppendInput,
  checkBatchSize,
  findRepeatedAppend,
  type StoredEventPlace,
} from './append-rules.js';
import { EventIdConflictError } from './port/errors.js';

const place = (
  streamId: string,
  streamVersion: number,
  globalPosition: bigint,
): StoredEventPlace => ({
  streamId,
  streamVersion,
  globalPosition,
});

describe('checkAppendInput', () => {
  test('returns the ids in lower case', () => {
    const id = randomUUID().toUpperCase();
    expect(checkAppendInput('s', [{ id, type: 'T', data: null }], 'any')).toEqual([
      id.toLowerCase(),
    ]);
  });

  test.each([
    ['an id that is not a UUID', [{ id: 'event-1', type: 'T', data: null }], 'any', TypeError],
    ['an empty type', [{ id: randomUUID(), type: '', data: null }], 'any', TypeError],
    ['a negative expected version', [], -1, RangeError],
    ['a fractional expected version', [], 1.5, RangeError],
  ] as const)('refuses %s', (_, events, expectedVersion, errorType) => {
    expect(() => checkAppendInput('s', events, expectedVersion)).toThrow(errorType);
  });

  test('refuses an empty stream id', () => {
    expect(() => checkAppendInput('', [], 'any')).toThrow(TypeError);
  });

  test('refuses the same event id twice in one append', () => {
    const id = randomUUID();
    expect(() =>
      checkAppendInput(
        's',
        [
          { id, type: 'T', data: 1 },
          { id: id.toUpperCase(), type: 'T', data: 2 },
        ],
        'any',
      ),
    ).toThrow(EventIdConflictError);
  });
});

describe('findRepeatedAppend', () => {
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  const stored = new Map([
    [a, place('s', 3, 10n)],
    [b, place('s', 4, 12n)],
    [c, place('other', 1, 11n)],
  ]);

  test('a batch of unknown ids is not a repeat', () => {
    expect(findRepeatedAppend('s', [randomUUID()], 2, stored)).toBeUndefined();
  });

  test('a batch stored at the versions it asked for is a repeat with the stored result', () => {
    expect(findRepeatedAppend('s', [a, b], 2, stored)).toEqual({
      nextExpectedVersion: 4,
      lastGlobalPosition: 12n,
    });
    expect(findRepeatedAppend('s', [a, b], 'any', stored)).toEqual({
      nextExpectedVersion: 4,
      lastGlobalPosition: 12n,
    });
  });

  test.each([
    ['at other versions', 's', [a, b], 1],
    ['in another order', 's', [b, a], 'any'],
    ['in another stream', 's', [c], 'any'],
    ['only in part', 's', [a, b, randomUUID()], 2],
    ['only in part, the new one first', 's', [randomUUID(), a], 'any'],
  ] as const)('a batch stored %s is an EventIdConflictError', (_, streamId, ids, expected) => {
    expect(() => findRepeatedAppend(streamId, ids, expected, stored)).toThrow(EventIdConflictError);
  });

  test('the conflict names an id that is stored', () => {
    const fresh = randomUUID();
    expect(() => findRepeatedAppend('s', [fresh, a], 'any', stored)).toThrow(
      expect.objectContaining({ eventId: a }),
    );
  });
});

describe('checkBatchSize', () => {
  test('defaults, accepts positive integers, refuses the rest', () => {
    expect(checkBatchSize(undefined, 1000)).toBe(1000);
    expect(checkBatchSize(7, 1000)).toBe(7);
    for (const wrong of [0, -1, 1.5, Number.NaN]) {
      expect(() => checkBatchSize(wrong, 1000)).toThrow(RangeError);
    }
  });
});
