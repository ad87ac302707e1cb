import type { ServiceLogger } from './service-logger.js';

/** How often a service says it is still waiting for something it needs to start. */
export const STILL_WAITING_LOG_MS = 5_000;

/**
 * Resolves or rejects as `work` does, and meanwhile logs a warning every `everyMs` that the service
 * is still waiting for `what` (a NATS server, say), so that a service that waits to start does not
 * look hung.
 */
export async function sayWhileWaiting<T>(
  work: Promise<T>,
  logger: ServiceLogger,
  what: string,
  everyMs = STILL_WAITING_LOG_MS,
): Promise<T> {
  const startedAt = Date.now();
  const timer = setInterval(() => {
    const waitedSeconds = Math.round((Date.now() - startedAt) / 1000);
    logger.warn({ waitedSeconds }, `still waiting for ${what}`);
  }, everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
