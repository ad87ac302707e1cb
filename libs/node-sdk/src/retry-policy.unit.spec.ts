import { defaultRetryPolicy, resolveRetryPolicy, retryDelayMs } from './retry-policy.js';

const policy = resolveRetryPolicy({
  initialDelayMs: 100,
  maxDelayMs: 1_000,
  multiplier: 2,
  jitter: 0.5,
});

describe('retry policy', () => {
  test('waits grow exponentially from the initial delay up to the cap', () => {
    const noJitter = () => 0;
    expect(
      [1, 2, 3, 4, 5, 6, 50, 5_000].map((retry) => retryDelayMs(retry, policy, noJitter)),
    ).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]);
  });

  test('jitter shortens a wait by at most its fraction', () => {
    expect(retryDelayMs(3, policy, () => 0.999_999)).toBe(200);
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(300);
    expect(retryDelayMs(10, policy, () => 0.999_999)).toBe(500);
  });

  test('a multiplier of 1 retries at a constant pace', () => {
    const constant = resolveRetryPolicy({ initialDelayMs: 50, multiplier: 1, jitter: 0 });
    expect([1, 2, 100].map((retry) => retryDelayMs(retry, constant))).toEqual([50, 50, 50]);
  });

  test('defaults fill what is not given, and undefined counts as not given', () => {
    expect(resolveRetryPolicy()).toEqual(defaultRetryPolicy);
    expect(resolveRetryPolicy({ requestTimeoutMs: 200, jitter: undefined })).toEqual({
      ...defaultRetryPolicy,
      requestTimeoutMs: 200,
    });
  });

  test.each([
    [{ requestTimeoutMs: 0 }, 'retry.requestTimeoutMs must be a positive number'],
    [{ initialDelayMs: -1 }, 'retry.initialDelayMs must be a positive number'],
    [{ maxDelayMs: Number.NaN }, 'retry.maxDelayMs must be a positive number'],
    [
      { initialDelayMs: 500, maxDelayMs: 100 },
      'retry.maxDelayMs must be at least retry.initialDelayMs',
    ],
    [{ multiplier: 0.5 }, 'retry.multiplier must be a finite number of at least 1'],
    [{ jitter: 1.5 }, 'retry.jitter must be between 0 and 1'],
  ])('rejects %j', (overrides, message) => {
    expect(() => resolveRetryPolicy(overrides)).toThrow(RangeError);
    expect(() => resolveRetryPolicy(overrides)).toThrow(message);
  });

  test.each([0, -1, 1.5])('retry number %p is not a retry', (retry) => {
    expect(() => retryDelayMs(retry, policy)).toThrow(RangeError);
  });
});
