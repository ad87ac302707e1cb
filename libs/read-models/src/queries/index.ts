export { inIndexOrder } from './index-order.js';
export { decodeKeysetCursor, encodeKeysetCursor } from './keyset.js';
export type { KeysetKey } from './keyset.js';
export { findTask, findTaskOutcome, listTasks, taskListQuery } from './task-queries.js';
export type {
  TaskDetail,
  TaskListFilter,
  TaskListItem,
  TaskListPage,
  TaskOutcome,
} from './task-queries.js';
export { defaultCsvChunkSize, streamTaskCsvRows, taskCsvChunkQuery } from './task-csv-query.js';
export type { TaskCsvFilter, TaskCsvRow } from './task-csv-query.js';
export {
  findFunction,
  findFunctionVersion,
  functionListQuery,
  listFunctions,
} from './function-queries.js';
export type { FunctionDetail, FunctionPage } from './function-queries.js';
export { countRunningTasks, findNode, listNodes, nodeListQuery } from './node-queries.js';
export type { NodeDetail, NodePage } from './node-queries.js';
export {
  countSchedules,
  findSchedule,
  listSchedules,
  scheduleListQuery,
} from './schedule-queries.js';
export type { ScheduleDetail, SchedulePage } from './schedule-queries.js';
export { findAccountMetrics, findFunctionMetrics } from './metrics-queries.js';
export type { AccountMetrics, FunctionMetrics } from './metrics-queries.js';
export { findRecentTaskActivity } from './task-activity-queries.js';
export type { TaskActivityMinute } from './task-activity-queries.js';
