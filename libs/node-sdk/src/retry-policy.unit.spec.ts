import { defaultRetryPolicy, resolveRetryPolicy, retryWaitsMs } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';

function firstWaits(policy: RetryPolicy, count: number): number[] {
  const waits = retryWaitsMs(policy);
  return Array.from({ length: count }, () => waits.next().value);
}

/** The wait before retry `retry` (1 for the first) as the policy names it, before any jitter. */
function nominalWaitMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (retry - 1));
}

describe('retry policy', () => {
  test('without jitter, waits grow by the multiplier from the initial delay up to the cap', () => {
    const policy = resolveRetryPolicy({
      initialDelayMs: 100,
      maxDelayMs: 1_000,
      multiplier: 2,
      jitter: 0,
    });
    expect(firstWaits(policy, 7)).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  test('the multiplier is honoured, not only doubling', () => {
    const policy = resolveRetryPolicy({
      initialDelayMs: 10,
      maxDelayMs: 10_000,
      multiplier: 3,
      jitter: 0,
    });
    expect(firstWaits(policy, 4)).toEqual([10, 30, 90, 270]);
  });

  test('a multiplier of 1 retries at a constant pace', () => {
    const constant = resolveRetryPolicy({ initialDelayMs: 50, multiplier: 1, jitter: 0 });
    expect(firstWaits(constant, 100).every((wait) => wait === 50)).toBe(true);
  });

  test('jitter shortens each wait by at most its fraction, and does spread them', () => {
    const policy = resolveRetryPolicy({
      initialDelayMs: 100,
      maxDelayMs: 1_000,
      multiplier: 2,
      jitter: 0.5,
    });
    const samples = Array.from({ length: 200 }, () => firstWaits(policy, 8));
    for (const waits of samples) {
      waits.forEach((wait, index) => {
        const nominal = nominalWaitMs(policy, index + 1);
        expect(wait).toBeLessThanOrEqual(nominal);
        expect(wait).toBeGreaterThanOrEqual(Math.floor(nominal * 0.5));
      });
    }
    // Nodes restarted together must not retry in lockstep, at the cap least of all.
    expect(new Set(samples.map((waits) => waits[0])).size).toBeGreaterThan(1);
    expect(new Set(samples.map((waits) => waits[7])).size).toBeGreaterThan(1);
  });

  test('the default policy never waits close to nothing nor beyond its cap, however long it retries', () => {
    const waits = firstWaits(defaultRetryPolicy, 5_000);
    const floor = defaultRetryPolicy.initialDelayMs * (1 - defaultRetryPolicy.jitter);
    expect(waits.every((wait) => Number.isFinite(wait) && wait >= Math.floor(floor))).toBe(true);
    expect(Math.max(...waits)).toBeLessThanOrEqual(defaultRetryPolicy.maxDelayMs);
    // Long past the point where the growth reached the cap, waits stay near it.
    const late = waits.slice(-100);
    const capFloor = defaultRetryPolicy.maxDelayMs * (1 - defaultRetryPolicy.jitter);
    expect(late.every((wait) => wait >= Math.floor(capFloor))).toBe(true);
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
});
