import type { ColumnType } from 'kysely';

/** timestamptz: node-postgres reads a Date; writes accept a Date or an ISO 8601 string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
/** timestamptz with a database default (now()), so inserts may leave it out. */
export type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A column with a database default, so inserts may leave it out. */
export type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** bigint: node-postgres reads a string, because not every int8 fits a JavaScript number. */
export type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;

/** A view column: selectable, never written. */
export type ViewColumn<T> = ColumnType<T, never, never>;

/**
 * What a run needs of a node and how long it may take, as the function version required it: the
 * same columns in `api.tasks` and `api.function_versions` (`api.functions` gives them defaults).
 */
export interface RequirementColumns {
  cpu_count: number;
  /** MiB. */
  mem_size: number;
  /** Milliseconds; 0 means no requirement. */
  network_latency: number;
  privileged: boolean;
  timeout_seconds: number;
}
