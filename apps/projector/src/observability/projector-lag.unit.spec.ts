import { globalPositionOf } from './projector-lag.js';

describe('globalPositionOf', () => {
  it('reads the global position of a PostgreSQL checkpoint, 0 before the first event', () => {
    expect(globalPositionOf('812:4410')).toBe('4410');
    expect(globalPositionOf(null)).toBe('0');
    expect(() => globalPositionOf('$all:12')).toThrow(/not a checkpoint/);
  });
});
