import { defaultResubscribeBackoff, resubscribeDelayMs } from './resubscribe-backoff.js';

describe('resubscribeDelayMs', () => {
  test('doubles from 100 ms and stays at 5 s', () => {
    const schedule = Array.from({ length: 10 }, (_, i) => resubscribeDelayMs(i + 1));
    expect(schedule).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000]);
  });

  test('stays capped however long the store is away', () => {
    expect(resubscribeDelayMs(10_000)).toBe(defaultResubscribeBackoff.maxDelayMs);
  });

  test('follows another policy when given one', () => {
    const backoff = { initialDelayMs: 10, maxDelayMs: 50, factor: 3 };
    expect([1, 2, 3, 4].map((n) => resubscribeDelayMs(n, backoff))).toEqual([10, 30, 50, 50]);
  });

  test.each([0, -1, 1.5])('has no delay for %p failures', (failures) => {
    expect(() => resubscribeDelayMs(failures)).toThrow(RangeError);
  });
});
