/** How long a dropped subscription waits before it subscribes again. */
export interface ResubscribeBackoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
}

export const defaultResubscribeBackoff: ResubscribeBackoff = {
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  factor: 2,
};

/**
 * Delay before the next attempt after `consecutiveFailures` drops in a row (1 for the first).
 * The count goes back to zero once a subscription delivers again, so a store that recovers is
 * rejoined quickly, and one that stays down is asked at most every `maxDelayMs`.
 */
export function resubscribeDelayMs(
  consecutiveFailures: number,
  backoff: ResubscribeBackoff = defaultResubscribeBackoff,
): number {
  if (!Number.isSafeInteger(consecutiveFailures) || consecutiveFailures < 1) {
    throw new RangeError(`consecutiveFailures must be 1 or more, got ${consecutiveFailures}`);
  }
  const delay = backoff.initialDelayMs * backoff.factor ** (consecutiveFailures - 1);
  return Math.min(backoff.maxDelayMs, delay);
}
