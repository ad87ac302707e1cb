import { nodeProcess, type ServiceProcess } from './service-process.js';
import type { ServiceLogger } from './service-logger.js';

/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits: 0 when it finished, 1 when it failed or did not
 * finish within `graceMs`. A second signal exits at once.
 */
export function stopOnSignals(
  logger: ServiceLogger,
  stop: () => Promise<void>,
  graceMs = 10_000,
  host: Pick<ServiceProcess, 'exit' | 'onceSignal'> = nodeProcess,
): void {
  let stopping = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const exit = (code: number) => {
    clearTimeout(graceTimer);
    host.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    graceTimer = setTimeout(() => {
      logger.error({ graceMs }, 'did not stop in time, exiting');
      host.exit(1);
    }, graceMs);
    graceTimer.unref();
    stop().then(
      () => {
        logger.info('stopped');
        exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'failed to stop cleanly');
        exit(1);
      },
    );
  };
  host.onceSignal('SIGINT', onSignal);
  host.onceSignal('SIGTERM', onSignal);
}
