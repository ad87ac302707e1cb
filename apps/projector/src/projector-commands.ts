import { ConfigurationError, type StartService } from '@canopy/service-runtime';
import { lowerProcessPriority } from './process-priority.js';
import { startProjector } from './projector.js';
import type { ProjectorConfig } from './projector-config.js';
import { rebuildReadModels } from './rebuild.js';

/**
 * The projector's commands: none projects until SIGINT / SIGTERM; `rebuild` rebuilds the read
 * models beside the live ones, swaps them in and exits. Both run at PROJECTOR_NICE.
 */
export const runProjectorCommand: StartService<ProjectorConfig> = async (
  config,
  logger,
  [command],
) => {
  switch (command) {
    case undefined:
      lowerProcessPriority(config.PROJECTOR_NICE, logger);
      return startProjector(config, logger);
    case 'rebuild':
      lowerProcessPriority(config.PROJECTOR_NICE, logger);
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
};
