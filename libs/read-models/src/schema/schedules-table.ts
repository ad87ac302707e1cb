import type { Insertable, Selectable, Updateable } from 'kysely';
import type { DefaultedTimestamp, Int8, NullableTimestamp, Timestamp } from './column-types.js';

/** `api.schedules`: recurring issues of a function's tasks, as the schedule's stream defines them. */
export interface SchedulesTable {
  schedule_id: string;
  account_id: string;
  function_id: string;
  name: string;
  description: string | null;
  /** Cron expression (5 fields, or 6 with seconds first), evaluated in `time_zone`. */
  cron: string;
  /** IANA zone, canonical name. */
  time_zone: string;
  /** The query string every task of the schedule carries, without '?'. */
  query: string;
  content_type: string | null;
  /** The body bytes every task of the schedule carries. */
  body: Buffer;
  /** Inclusive bounds of the ticks fired; null for none. */
  start_at: NullableTimestamp;
  end_at: NullableTimestamp;
  paused: boolean;
  deleted: boolean;
  deleted_at: NullableTimestamp;
  /** Ticks at or before this time are never fired: creation, the last cron / zone change, or resumption. */
  active_since: Timestamp;
  /** Due time of the last tick fired, and the task it issued. */
  last_tick_at: NullableTimestamp;
  last_task_id: string | null;
  /** Ticks fired so far. */
  tick_count: Int8;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  /** Version of the schedule's stream this row reflects. */
  last_stream_version: Int8;
}

export type ScheduleRow = Selectable<SchedulesTable>;
export type NewScheduleRow = Insertable<SchedulesTable>;
export type ScheduleRowUpdate = Updateable<SchedulesTable>;
