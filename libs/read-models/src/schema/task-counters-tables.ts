import type { ColumnType, Insertable, Selectable } from 'kysely';

// Counters of tasks kept by the tasks projection, so that metrics never count tasks per request.
// "Pending" is a task not yet terminal (waiting or assigned); "completed" one that finished (the
// function answered, whatever its status; a task the platform failed is not completed). Days are
// UTC calendar days of issue.

/** bigint, 0 by default: node-postgres reads a string. */
export type Count = ColumnType<string, number | string | undefined, number | string>;

/**
 * A `date` column: written as `YYYY-MM-DD`; node-postgres reads it as a Date at local midnight, so
 * queries compare it with `YYYY-MM-DD` parameters and tests select it as text.
 */
export type UtcDay = ColumnType<Date, string, string>;

/** `api.account_task_counters`: pending and completed tasks per account. */
export interface AccountTaskCountersTable {
  account_id: string;
  pending: Count;
  completed: Count;
}

/** `api.function_task_counters`: pending and completed tasks per function. */
export interface FunctionTaskCountersTable {
  function_id: string;
  account_id: string;
  pending: Count;
  completed: Count;
}

/** `api.account_task_days`: tasks issued per account and UTC day. */
export interface AccountTaskDaysTable {
  account_id: string;
  day: UtcDay;
  issued: Count;
}

/** `api.function_task_days`: tasks issued per function and UTC day. */
export interface FunctionTaskDaysTable {
  function_id: string;
  day: UtcDay;
  issued: Count;
}

export type AccountTaskCountersRow = Selectable<AccountTaskCountersTable>;
export type NewAccountTaskCountersRow = Insertable<AccountTaskCountersTable>;
export type FunctionTaskCountersRow = Selectable<FunctionTaskCountersTable>;
export type NewFunctionTaskCountersRow = Insertable<FunctionTaskCountersTable>;
export type AccountTaskDayRow = Selectable<AccountTaskDaysTable>;
export type NewAccountTaskDayRow = Insertable<AccountTaskDaysTable>;
export type FunctionTaskDayRow = Selectable<FunctionTaskDaysTable>;
export type NewFunctionTaskDayRow = Insertable<FunctionTaskDaysTable>;
