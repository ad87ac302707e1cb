import { createServiceLogger, readConfig, stopOnSignals } from '@canopy/service-runtime';
import { startProjector } from './projector.js';
import { projectorConfigSchema } from './projector-config.js';
import { rebuildReadModels } from './rebuild.js';

// `node apps/projector/dist/main.js` projects until SIGINT / SIGTERM;
// `node apps/projector/dist/main.js rebuild` rebuilds the read models once and exits.
const config = readConfig(projectorConfigSchema, process.env);
const logger = createServiceLogger('projector', config.LOG_LEVEL);
const [command] = process.argv.slice(2);

switch (command) {
  case undefined: {
    const projector = await startProjector(config, logger);
    stopOnSignals(logger, () => projector.stop());
    break;
  }
  case 'rebuild':
    try {
      await rebuildReadModels(config, logger);
    } catch (error) {
      logger.fatal({ err: error }, 'the rebuild failed; the read models in use are unchanged');
      process.exitCode = 1;
    }
    break;
  default:
    process.stderr.write(
      `projector: unknown command "${command}" (expected nothing or "rebuild")\n`,
    );
    process.exitCode = 2;
}
