import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Defaulted, DefaultedTimestamp } from './column-types.js';

/** `api.schedules`: recurring issues of a function's tasks. */
export interface SchedulesTable {
  schedule_id: string;
  account_id: string;
  function_id: string;
  name: string;
  description: string | null;
  /** Cron expression, evaluated in `time_zone`. */
  cron: string;
  time_zone: Defaulted<string>;
  enabled: Defaulted<boolean>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type ScheduleRow = Selectable<SchedulesTable>;
export type NewScheduleRow = Insertable<SchedulesTable>;
export type ScheduleRowUpdate = Updateable<SchedulesTable>;
