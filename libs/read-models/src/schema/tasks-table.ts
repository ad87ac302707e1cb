import type { Insertable, Selectable, Updateable } from 'kysely';
import type {
  Defaulted,
  DefaultedTimestamp,
  Int8,
  NullableTimestamp,
  RequirementColumns,
  Timestamp,
} from './column-types.js';

export const taskStates = ['pending', 'assigned', 'finished', 'failed'] as const;
export type TaskRowState = (typeof taskStates)[number];

/** `api.tasks`: one row per task, the fold of its stream (docs/read-models.md). */
export interface TasksTable extends RequirementColumns {
  task_id: string;
  account_id: string;
  function_id: string;
  /** The version of the function the task was issued against (TaskIssued.functionVersion). */
  function_version: Defaulted<number>;
  schedule_id: string | null;
  state: TaskRowState;
  /** 0..100, never decreasing. */
  progress: Defaulted<number>;
  /** 0 until the task is terminal, then the function's HTTP status or the platform's. */
  status: Defaulted<number>;
  node_id: string | null;
  attempt: Defaulted<number>;
  failure_reason: string | null;
  /** 0..9, 9 first: the priority the task was issued with. */
  priority: Defaulted<number>;
  /** No node was offered the task before this time; NULL: no delay. */
  not_before: NullableTimestamp;
  issued_at: Timestamp;
  assigned_at: NullableTimestamp;
  /** When the task became terminal: finished, or failed. */
  finished_at: NullableTimestamp;
  /** Version of the task's stream this row reflects, so a replayed event changes nothing. */
  last_stream_version: Int8;
  updated_at: DefaultedTimestamp;
}

export type TaskRow = Selectable<TasksTable>;
export type NewTaskRow = Insertable<TasksTable>;
export type TaskRowUpdate = Updateable<TasksTable>;
