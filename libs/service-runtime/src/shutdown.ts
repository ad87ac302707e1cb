import type { ServiceLogger } from './service-logger.js';

/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits: 0 when it finished, 1 when it failed or did not
 * finish within `graceMs`. A second signal exits at once.
 */
export function stopOnSignals(
  logger: ServiceLogger,
  stop: () => Promise<void>,
  graceMs = 10_000,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'did not stop in time, exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'failed to stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
