import { ConfigurationError, runService } from '@canopy/service-runtime';
import { startProjector } from './projector.js';
import { projectorConfigSchema } from './projector-config.js';
import { rebuildReadModels } from './rebuild.js';

// `main.js` projects until SIGINT / SIGTERM; `main.js rebuild` rebuilds the read models and exits.
await runService('projector', projectorConfigSchema, async (config, logger, [command]) => {
  switch (command) {
    case undefined:
      return startProjector(config, logger);
    case 'rebuild':
      await rebuildReadModels(config, logger).catch((error: unknown) => {
        throw new Error('the rebuild failed; the read models in use are unchanged', {
          cause: error,
        });
      });
      return undefined;
    default:
      throw new ConfigurationError([
        `command: "${command}" is unknown (expected none or "rebuild")`,
      ]);
  }
});
