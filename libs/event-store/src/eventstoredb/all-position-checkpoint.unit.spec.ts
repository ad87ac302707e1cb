import { checkpointOfPosition, positionOfCheckpoint } from './all-position-checkpoint.js';

describe('EventStoreDB checkpoints', () => {
  test('are "<commit>/<prepare>" in decimal', () => {
    expect(checkpointOfPosition({ commit: 1234n, prepare: 1200n })).toBe('1234/1200');
    expect(checkpointOfPosition({ commit: 0n, prepare: 0n })).toBe('0/0');
  });

  test('round-trip positions beyond what a number holds exactly', () => {
    const position = { commit: 2n ** 64n - 1n, prepare: 2n ** 53n + 1n };
    const checkpoint = checkpointOfPosition(position);
    expect(checkpoint).toBe('18446744073709551615/9007199254740993');
    expect(positionOfCheckpoint(checkpoint)).toEqual(position);
  });

  test('decode to the position they were made from', () => {
    expect(positionOfCheckpoint('987654321/987654000')).toEqual({
      commit: 987654321n,
      prepare: 987654000n,
    });
  });

  test.each([
    '',
    '12',
    '12/',
    '/12',
    '12/10/8',
    '-1/0',
    '1/-1',
    '+5/5',
    '05/5',
    '5/05',
    '1e3/0',
    '0x10/0',
    '12 /10',
    ' 12/10',
    '12/10\n',
    '1.5/1',
    'abc/def',
    '{"commit":1,"prepare":1}',
  ])('reject the malformed %p', (checkpoint) => {
    expect(() => positionOfCheckpoint(checkpoint)).toThrow(RangeError);
  });

  test('reject positions EventStoreDB cannot hold or never issues', () => {
    expect(() => positionOfCheckpoint('18446744073709551616/0')).toThrow(/out of range/);
    expect(() => positionOfCheckpoint('10/11')).toThrow(/prepare after its commit/);
    expect(() => checkpointOfPosition({ commit: 5n, prepare: -1n })).toThrow(RangeError);
  });
});
