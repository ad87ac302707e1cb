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
