import { runService } from '@canopy/service-runtime';
import { runProjectorCommand } from './projector-commands.js';
import { projectorConfigSchema } from './projector-config.js';

await runService('projector', projectorConfigSchema, runProjectorCommand);
