import type { RetryPolicy } from '@canopy/contracts';
import type { Selectable } from 'kysely';
import type { ViewColumn } from './column-types.js';
import type { TaskRowState } from './tasks-table.js';

/** `analytics.task_runs`: one row per task with its waiting and running times. */
export interface TaskRunsView {
  task_id: ViewColumn<string>;
  account_id: ViewColumn<string>;
  function_id: ViewColumn<string>;
  schedule_id: ViewColumn<string | null>;
  node_id: ViewColumn<string | null>;
  attempt: ViewColumn<number>;
  issued_at: ViewColumn<Date>;
  assigned_at: ViewColumn<Date | null>;
  finished_at: ViewColumn<Date | null>;
  queue_wait_seconds: ViewColumn<number | null>;
  run_seconds: ViewColumn<number | null>;
  status: ViewColumn<number>;
  state: ViewColumn<TaskRowState>;
  failure_reason: ViewColumn<string | null>;
  /** The version of the function the task was issued against and ran. */
  function_version: ViewColumn<number>;
  priority: ViewColumn<number>;
  not_before: ViewColumn<Date | null>;
}

/** `analytics.function_versions`: one row per version of a function. */
export interface FunctionVersionsView {
  account_id: ViewColumn<string>;
  function_id: ViewColumn<string>;
  version: ViewColumn<number>;
  created_at: ViewColumn<Date>;
  replaced_at: ViewColumn<Date | null>;
  deleted_at: ViewColumn<Date | null>;
  timeout_seconds: ViewColumn<number>;
  cpu_count: ViewColumn<number>;
  mem_size: ViewColumn<number>;
  network_latency: ViewColumn<number>;
  privileged: ViewColumn<boolean>;
  runtime_kind: ViewColumn<string>;
  /** Priority of the tasks issued against this version unless a task names its own. */
  priority: ViewColumn<number>;
  /** 1 without a retry policy, else its maxAttempts. */
  max_attempts: ViewColumn<number>;
  retry: ViewColumn<RetryPolicy | null>;
}

/**
 * `analytics.function_daily`: per function and UTC day of issue. `day` is a SQL date, which
 * node-postgres reads as a Date at local midnight.
 */
export interface FunctionDailyView {
  account_id: ViewColumn<string>;
  function_id: ViewColumn<string>;
  day: ViewColumn<Date>;
  tasks: ViewColumn<number>;
  finished: ViewColumn<number>;
  succeeded: ViewColumn<number>;
  failed: ViewColumn<number>;
  p50_queue_wait_seconds: ViewColumn<number | null>;
  p95_queue_wait_seconds: ViewColumn<number | null>;
  p50_run_seconds: ViewColumn<number | null>;
  p95_run_seconds: ViewColumn<number | null>;
  /** Of the failed, those their owner cancelled. */
  cancelled: ViewColumn<number>;
}

/** `analytics.node_daily`: per node and UTC day of assignment. */
export interface NodeDailyView {
  account_id: ViewColumn<string>;
  node_id: ViewColumn<string>;
  day: ViewColumn<Date>;
  tasks: ViewColumn<number>;
  finished: ViewColumn<number>;
  failed: ViewColumn<number>;
  busy_seconds: ViewColumn<number | null>;
  p50_run_seconds: ViewColumn<number | null>;
  p95_run_seconds: ViewColumn<number | null>;
}

/** `analytics.task_attempts`: one row per assignment of a task, retries included. */
export interface TaskAttemptsView {
  task_id: ViewColumn<string>;
  account_id: ViewColumn<string>;
  function_id: ViewColumn<string>;
  attempt: ViewColumn<number>;
  node_id: ViewColumn<string>;
  assigned_at: ViewColumn<Date>;
  unassigned_at: ViewColumn<Date | null>;
  unassign_reason: ViewColumn<string | null>;
  held_seconds: ViewColumn<number | null>;
  failed_at: ViewColumn<Date | null>;
  failed_status: ViewColumn<number | null>;
  retry_at: ViewColumn<Date | null>;
}

export type TaskRun = Selectable<TaskRunsView>;
export type TaskAttemptSpan = Selectable<TaskAttemptsView>;
export type FunctionDay = Selectable<FunctionDailyView>;
export type FunctionVersionSpan = Selectable<FunctionVersionsView>;
export type NodeDay = Selectable<NodeDailyView>;
