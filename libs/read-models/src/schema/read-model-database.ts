import type { AccountsTable, ApiKeysTable } from './accounts-table.js';
import type {
  FunctionDailyView,
  FunctionVersionsView,
  NodeDailyView,
  TaskAttemptsView,
  TaskRunsView,
} from './analytics-views.js';
import type { FunctionVersionsTable, FunctionsTable } from './functions-table.js';
import type { NodesTable } from './nodes-table.js';
import type { ProjectionCheckpointsTable } from './projection-checkpoints-table.js';
import type { SchedulesTable } from './schedules-table.js';
import type { TaskAttemptsTable } from './task-attempts-table.js';
import type {
  AccountTaskCountersTable,
  AccountTaskDaysTable,
  FunctionTaskCountersTable,
  FunctionTaskDaysTable,
} from './task-counters-tables.js';
import type { TaskResultsTable } from './task-results-table.js';
import type { TasksTable } from './tasks-table.js';

/** Every relation of the read-model database, by schema-qualified name. */
export interface ReadModelDatabase {
  'api.tasks': TasksTable;
  'api.task_attempts': TaskAttemptsTable;
  'api.task_results': TaskResultsTable;
  'api.functions': FunctionsTable;
  'api.function_versions': FunctionVersionsTable;
  'api.nodes': NodesTable;
  'api.accounts': AccountsTable;
  'api.api_keys': ApiKeysTable;
  'api.schedules': SchedulesTable;
  'api.projection_checkpoints': ProjectionCheckpointsTable;
  'api.account_task_counters': AccountTaskCountersTable;
  'api.function_task_counters': FunctionTaskCountersTable;
  'api.account_task_days': AccountTaskDaysTable;
  'api.function_task_days': FunctionTaskDaysTable;
  'analytics.task_runs': TaskRunsView;
  'analytics.task_attempts': TaskAttemptsView;
  'analytics.function_daily': FunctionDailyView;
  'analytics.function_versions': FunctionVersionsView;
  'analytics.node_daily': NodeDailyView;
}
