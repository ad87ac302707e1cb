import { z } from 'zod';

// A function's retry policy: which of its own answers count as a failed attempt, how many attempts
// may report one, and how long the task waits before the next. The task records the policy of its
// function when it is issued (TaskIssued `retry`), so a task keeps the policy it was issued under.

/** The most attempts a policy may allow: a task retried further is better issued again. */
export const MAX_RETRY_ATTEMPTS = 20;
/** The longest wait a policy may ask for between two attempts (one day). */
export const MAX_RETRY_BACKOFF_SECONDS = 86_400;

/** An HTTP status from 400 to 599, or a whole class of them: `4xx`, `5xx`. */
export const retryStatusSchema = z.union([z.int().min(400).max(599), z.enum(['4xx', '5xx'])]);
export type RetryStatus = z.infer<typeof retryStatusSchema>;

export const retryBackoffSchema = z
  .strictObject({
    /** Wait before the second attempt, in seconds (fractions allowed; 0 retries at once). */
    initialSeconds: z.number().min(0).max(MAX_RETRY_BACKOFF_SECONDS),
    /** Each later wait is the previous one times this. */
    multiplier: z.number().min(1).max(10),
    /** No wait is longer than this, in seconds. */
    maxSeconds: z.number().min(0).max(MAX_RETRY_BACKOFF_SECONDS),
  })
  .refine((backoff) => backoff.maxSeconds >= backoff.initialSeconds, {
    path: ['maxSeconds'],
    message: 'must not be less than initialSeconds',
  });
export type RetryBackoff = z.infer<typeof retryBackoffSchema>;

export const retryPolicySchema = z.strictObject({
  /** Attempts that may report an answer matching `on`, the first included; 1 = no retry. */
  maxAttempts: z.int().min(1).max(MAX_RETRY_ATTEMPTS),
  backoff: retryBackoffSchema,
  /** The answers that count as a failed attempt. */
  on: z.array(retryStatusSchema).min(1).max(200),
});
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

/** Whether the function's answer `status` counts as a failed attempt under `on`. */
export function isRetriedStatus(on: readonly RetryStatus[], status: number): boolean {
  return on.some((entry) => {
    if (entry === '4xx') return status >= 400 && status <= 499;
    if (entry === '5xx') return status >= 500 && status <= 599;
    return entry === status;
  });
}

/**
 * How long the task waits after its `failedAttempts`-th failed attempt (from 1), in whole
 * milliseconds: `initialSeconds × multiplier^(failedAttempts − 1)`, at most `maxSeconds`.
 */
export function retryDelayMs(backoff: RetryBackoff, failedAttempts: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const seconds = Math.min(
    backoff.maxSeconds,
    backoff.initialSeconds * backoff.multiplier ** exponent,
  );
  return Math.round(seconds * 1000);
}
