import { runService } from '@canopy/service-runtime';
import { schedulerConfigSchema } from './scheduler-config.js';
import { startScheduler } from './scheduler.js';

await runService('scheduler', schedulerConfigSchema, (config, logger) =>
  startScheduler(config, logger),
);
