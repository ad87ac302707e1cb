/** How a node retries requests to the scheduler (announce, reports, goodbye). */
export interface RetryPolicy {
  /** How long to wait for a reply before a request counts as lost and is retried. */
  readonly requestTimeoutMs: number;
  /** Wait before the first retry. */
  readonly initialDelayMs: number;
  /** Upper bound of any wait between retries. */
  readonly maxDelayMs: number;
  /** Each wait is this many times the previous one (at least 1). */
  readonly multiplier: number;
  /**
   * Fraction (0..1) of each wait that is randomly shortened, so that nodes restarted together do not
   * retry in lockstep.
   */
  readonly jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  requestTimeoutMs: 5_000,
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
};

/** Fills in defaults and checks the bounds; throws a RangeError naming the offending field. */
export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...defaultRetryPolicy, ...withoutUndefined(overrides) };
  requirePositive(policy.requestTimeoutMs, 'requestTimeoutMs');
  requirePositive(policy.initialDelayMs, 'initialDelayMs');
  requirePositive(policy.maxDelayMs, 'maxDelayMs');
  if (policy.maxDelayMs < policy.initialDelayMs) {
    throw new RangeError('retry.maxDelayMs must be at least retry.initialDelayMs');
  }
  if (!Number.isFinite(policy.multiplier) || policy.multiplier < 1) {
    throw new RangeError('retry.multiplier must be a finite number of at least 1');
  }
  if (!Number.isFinite(policy.jitter) || policy.jitter < 0 || policy.jitter > 1) {
    throw new RangeError('retry.jitter must be between 0 and 1');
  }
  return policy;
}

/**
 * Milliseconds to wait before retry number `retry` (1 for the first retry): exponential growth from
 * `initialDelayMs`, capped at `maxDelayMs`, then shortened by up to `jitter` of itself.
 * `random` returns a number in [0, 1), as Math.random does.
 */
export function retryDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(retry) || retry < 1) {
    throw new RangeError(`retry must be a positive integer, got ${retry}`);
  }
  // Past the cap the exponent no longer matters, and a huge exponent would only risk Infinity * 0.
  const grown = policy.initialDelayMs * policy.multiplier ** Math.min(retry - 1, 1_000);
  const capped = Math.min(policy.maxDelayMs, grown);
  return Math.round(capped * (1 - policy.jitter * random()));
}

function requirePositive(value: number, field: keyof RetryPolicy): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`retry.${field} must be a positive number of milliseconds, got ${value}`);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== undefined),
  ) as Partial<T>;
}
