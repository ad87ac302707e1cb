import { formatMs, percentile, summarizeLatencies } from './latency-summary.js';

describe('percentile', () => {
  test('is the nearest rank: the smallest value with at least that share of values at or below it', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.9)).toBe(90);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
  });

  test('of one value is that value, of none is NaN', () => {
    expect(percentile([7], 0.01)).toBe(7);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('summarizeLatencies', () => {
  test('sorts a copy and reports count, percentiles and max', () => {
    const values = [30, 10, 20, 40];
    expect(summarizeLatencies(values)).toEqual({ count: 4, p50: 20, p90: 40, p99: 40, max: 40 });
    expect(values).toEqual([30, 10, 20, 40]);
  });
});

describe('formatMs', () => {
  test('keeps a decimal for short durations only', () => {
    expect(formatMs(1.234)).toBe('1.2 ms');
    expect(formatMs(1234.5)).toBe('1235 ms');
    expect(formatMs(Number.NaN)).toBe('-');
  });
});
