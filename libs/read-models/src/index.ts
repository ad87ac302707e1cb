export { createReadModelDb } from './read-model-db.js';
export { migrateReadModels, rollBackReadModels } from './migrate-read-models.js';
export type { ReadModelDatabase } from './schema/read-model-database.js';
export type {
  Defaulted,
  DefaultedTimestamp,
  Int8,
  NullableTimestamp,
  Timestamp,
  ViewColumn,
} from './schema/column-types.js';
export {
  taskStates,
  type NewTaskRow,
  type TaskRow,
  type TaskRowUpdate,
  type TaskRowState,
  type TasksTable,
} from './schema/tasks-table.js';
export type {
  NewTaskResultRow,
  ResultHeaders,
  TaskResultRow,
  TaskResultsTable,
} from './schema/task-results-table.js';
export type {
  FunctionRow,
  FunctionRowUpdate,
  FunctionVersionRow,
  FunctionVersionsTable,
  FunctionsTable,
  NewFunctionRow,
  NewFunctionVersionRow,
} from './schema/functions-table.js';
export {
  nodeUnavailableReasons,
  type NewNodeRow,
  type NodeRow,
  type NodeRowUpdate,
  type NodeUnavailableReason,
  type NodesTable,
} from './schema/nodes-table.js';
export type {
  NewTaskAttemptRow,
  TaskAttemptRow,
  TaskAttemptsTable,
} from './schema/task-attempts-table.js';
export type {
  AccountRow,
  AccountsTable,
  ApiKeyRow,
  ApiKeysTable,
  NewAccountRow,
  NewApiKeyRow,
} from './schema/accounts-table.js';
export type {
  NewScheduleRow,
  ScheduleRow,
  ScheduleRowUpdate,
  SchedulesTable,
} from './schema/schedules-table.js';
export type {
  NewProjectionCheckpointRow,
  ProjectionCheckpointRow,
  ProjectionCheckpointsTable,
} from './schema/projection-checkpoints-table.js';
export type {
  FunctionDailyView,
  FunctionDay,
  FunctionVersionSpan,
  FunctionVersionsView,
  NodeDailyView,
  NodeDay,
  TaskAttemptSpan,
  TaskAttemptsView,
  TaskRun,
  TaskRunsView,
} from './schema/analytics-views.js';
export * from './queries/index.js';
