import { runService } from '@canopy/service-runtime';
import { gatewayConfigSchema, startGateway } from './gateway.js';

await runService('gateway', gatewayConfigSchema, (config, logger) => startGateway(config, logger));
