import { setTimeout as delay } from 'node:timers/promises';

/**
 * Calls `check` until it holds, that is until it returns without throwing and without returning
 * `false`, and resolves with what it returned; `intervalMs` apart. Past `timeoutMs` it rejects with
 * an error that quotes the last failure (and carries it as `cause`). For the outcomes of
 * asynchronous work, never to measure time: `check` states what must become true, `eventually`
 * only waits for it.
 *
 * The default deadline, 15 s, stays below the 30 s Jest gives a test here, so a check that never
 * holds fails with its own reason rather than with Jest's timeout.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  for (let attempts = 1; ; attempts += 1) {
    let failure: unknown;
    try {
      const outcome = await check();
      if (outcome !== false) return outcome as Exclude<T, false>;
      failure = new Error('the condition was still false');
    } catch (error) {
      failure = error;
    }
    if (Date.now() >= deadline) {
      const reason = failure instanceof Error ? failure.message : String(failure);
      throw new Error(
        `did not hold within ${timeoutMs} ms (${attempts} ${attempts === 1 ? 'call' : 'calls'}); last failure: ${reason}`,
        { cause: failure },
      );
    }
    await delay(intervalMs);
  }
}
