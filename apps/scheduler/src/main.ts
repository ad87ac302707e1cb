import {
  ConfigurationError,
  createServiceLogger,
  readConfig,
  stopOnSignals,
} from '@canopy/service-runtime';
import { schedulerConfigSchema } from './scheduler-config.js';
import { startScheduler } from './scheduler.js';

let config;
try {
  config = readConfig(schedulerConfigSchema, process.env);
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  process.stderr.write(`scheduler: ${error.message}\n`);
  process.exit(1);
}
const logger = createServiceLogger('scheduler', config.LOG_LEVEL);
try {
  const scheduler = await startScheduler(config, logger);
  stopOnSignals(logger, () => scheduler.stop());
} catch (error) {
  logger.fatal({ err: error }, 'the scheduler could not start');
  process.exit(1);
}
