import { setTimeout } from 'node:timers/promises';

/** True if `work` settled (either way) within `ms`. */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      setTimeout(ms, false, { signal: timer.signal }),
    ]);
  } finally {
    // The race already listens to the timer, so the rejection this causes is handled.
    timer.abort();
  }
}
