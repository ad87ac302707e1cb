import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';

describe('PostgreSQL checkpoints', () => {
  test('encode the pair as "<xid>:<position>" and decode it back', () => {
    const position = {
      transactionId: '18446744073709551615',
      globalPosition: '9223372036854775807',
    };
    expect(encodeCheckpoint(position)).toBe('18446744073709551615:9223372036854775807');
    expect(decodeCheckpoint(encodeCheckpoint(position))).toEqual(position);
  });

  test.each(['', '12', '12:', ':3', '1:2:3', 'a:1', '-1:2', '1:2 '])('refuse %j', (text) => {
    expect(() => decodeCheckpoint(text)).toThrow(RangeError);
  });
});
