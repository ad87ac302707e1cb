import type { FunctionDailyView, NodeDailyView, TaskRunsView } from './analytics-views.js';
import type { FunctionsTable } from './functions-table.js';
import type { NodesTable } from './nodes-table.js';
import type { ProjectionCheckpointsTable } from './projection-checkpoints-table.js';
import type { SchedulesTable } from './schedules-table.js';
import type { TaskResultsTable } from './task-results-table.js';
import type { TasksTable } from './tasks-table.js';

/** Every relation of the read-model database, by schema-qualified name. */
export interface ReadModelDatabase {
  'api.tasks': TasksTable;
  'api.task_results': TaskResultsTable;
  'api.functions': FunctionsTable;
  'api.nodes': NodesTable;
  'api.schedules': SchedulesTable;
  'api.projection_checkpoints': ProjectionCheckpointsTable;
  'analytics.task_runs': TaskRunsView;
  'analytics.function_daily': FunctionDailyView;
  'analytics.node_daily': NodeDailyView;
}
