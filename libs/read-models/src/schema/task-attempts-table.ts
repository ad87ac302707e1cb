import type { UnassignReason } from '@canopy/contracts';
import type { Insertable, Selectable } from 'kysely';
import type { NullableTimestamp, Timestamp } from './column-types.js';

/** `api.task_attempts`: every assignment of a task to a node, retries included. */
export interface TaskAttemptsTable {
  task_id: string;
  /** From 1. */
  attempt: number;
  node_id: string;
  assigned_at: Timestamp;
  /** When the attempt ended without an outcome (TaskUnassigned); NULL otherwise. */
  unassigned_at: NullableTimestamp;
  unassign_reason: UnassignReason | null;
  /** When the function answered with a status its retry policy retries (TaskAttemptFailed). */
  failed_at: NullableTimestamp;
  failed_status: number | null;
  /** When the task was due again after that failure. */
  retry_at: NullableTimestamp;
}

export type TaskAttemptRow = Selectable<TaskAttemptsTable>;
export type NewTaskAttemptRow = Insertable<TaskAttemptsTable>;
