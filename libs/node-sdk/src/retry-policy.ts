import { ExponentialBackoff } from 'cockatiel';
import type { GeneratorFn } from 'cockatiel';

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
 * The waits before the retries of one request, in milliseconds: the first is `initialDelayMs`, each
 * next one `multiplier` times longer up to `maxDelayMs`, and every one shortened by up to `jitter` of
 * itself. Endless; take one per retry.
 */
export function* retryWaitsMs(policy: RetryPolicy): Generator<number, never> {
  const backoff = new ExponentialBackoff({
    initialDelay: policy.initialDelayMs,
    maxDelay: policy.maxDelayMs,
    exponent: policy.multiplier,
    generator: shortenedByJitter(policy.jitter),
  });
  for (let wait = backoff.next(); ; wait = wait.next(undefined)) yield wait.duration;
}

/**
 * Cockatiel's own generators cannot keep this policy: `noJitterGenerator` always doubles, whatever
 * the exponent, and `decorrelatedJitterGenerator` may wait close to nothing (at any retry, and at
 * every retry once the exponent is 1), so a scheduler answering "no responders" would be asked
 * again in a tight loop. This one keeps every wait within `jitter` below the nominal one.
 */
function shortenedByJitter(jitter: number): GeneratorFn<number> {
  return (retries = 0, { initialDelay, maxDelay, exponent }) => {
    // Past the cap the exponent no longer matters, and a huge exponent would only risk Infinity * 0.
    const nominal = Math.min(maxDelay, initialDelay * exponent ** Math.min(retries, 1_000));
    return [Math.round(nominal * (1 - jitter * Math.random())), retries + 1];
  };
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
