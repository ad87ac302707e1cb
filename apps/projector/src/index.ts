export { startProjector, readProjectorPosition, type RunningProjector } from './projector.js';
export type { ProjectorProgress } from './live-projection.js';
export { projectorConfigSchema, type ProjectorConfig } from './projector-config.js';
export { rebuildReadModels, type RebuildReport } from './rebuild.js';
