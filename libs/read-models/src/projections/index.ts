export { ProjectionFailedError, parseRecordedEvent, type Projection } from './projection.js';
export { holdProjectorLock, projectBatch, type ProjectionGroup } from './projection-group.js';
export {
  ProjectionPositionMovedError,
  readProjectionPosition,
  samePosition,
  startOfEventStore,
  type ProjectionPosition,
} from './projection-position.js';
export { API_SCHEMA, ReadModelSchemaPlugin, inReadModelSchema } from './read-model-schema.js';
export { apiProjections } from './read-model-projections.js';
export { tasksProjection } from './tasks/tasks-projection.js';
export { functionsProjection } from './functions-projection.js';
export { nodesProjection } from './nodes-projection.js';
export { accountsProjection } from './accounts-projection.js';
export { schedulesProjection } from './schedules-projection.js';
export {
  evolveProjectedTask,
  isTerminal,
  newlyIssuedTask,
  terminalStatus,
  type ProjectedAttempt,
  type ProjectedTask,
} from './tasks/projected-task.js';
export {
  REBUILD_SCHEMA,
  RETIRED_SCHEMA,
  createRebuildSchema,
  dropRetiredReadModels,
  releaseRebuildLock,
  swapInRebuiltReadModels,
  tryHoldRebuildLock,
  type RebuildBasis,
} from './rebuild/read-model-swap.js';
