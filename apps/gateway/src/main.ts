import {
  ConfigurationError,
  createServiceLogger,
  readConfig,
  stopOnSignals,
} from '@canopy/service-runtime';
import { gatewayConfigSchema, startGateway } from './gateway.js';

// The only place that reads the environment.
try {
  const config = readConfig(gatewayConfigSchema, process.env);
  const logger = createServiceLogger('gateway', config.LOG_LEVEL);
  try {
    const gateway = await startGateway(config, logger);
    stopOnSignals(logger, gateway.stop);
  } catch (error) {
    logger.fatal({ err: error }, 'the gateway could not start');
    process.exitCode = 1;
  }
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  process.stderr.write(`gateway: ${error.message}\n`);
  process.exitCode = 2;
}
