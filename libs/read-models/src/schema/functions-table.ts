import type { RetryPolicy, RuntimeSpec } from '@canopy/contracts';
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type {
  Defaulted,
  DefaultedTimestamp,
  Int8,
  NullableTimestamp,
  RequirementColumns,
  Timestamp,
} from './column-types.js';

/** How a function's tasks are queued and retried: its current ones, and each version's. */
export interface TaskPolicyColumns {
  /** Priority of its tasks unless a task names its own (0..9, 9 first). */
  priority: Defaulted<number>;
  /** Its retry policy; NULL: no answer is retried. jsonb, written as an object. */
  retry: ColumnType<RetryPolicy | null, RetryPolicy | string | null, RetryPolicy | string | null>;
}

/**
 * `api.functions`: functions at their current version (FunctionRegistered, then each
 * FunctionChanged), deleted ones included (FunctionDeleted sets `deleted_at`), and what a node needs
 * to run them. Every version is in `api.function_versions`.
 */
export interface FunctionsTable extends TaskPolicyColumns {
  function_id: string;
  account_id: string;
  name: string;
  description: string | null;
  /** GreenCloud's free-form language label, as registered ('' when none was given). */
  lang: string;
  /** GreenCloud's free-form function type, as registered ('' when none was given). */
  type: string;
  /** How a node runs the function; jsonb, written as an object. */
  runtime: ColumnType<RuntimeSpec, RuntimeSpec | string, RuntimeSpec | string>;
  cpu_count: Defaulted<number>;
  /** MiB. */
  mem_size: Defaulted<number>;
  /** Milliseconds; 0 means no requirement. */
  network_latency: Defaulted<number>;
  privileged: Defaulted<boolean>;
  timeout_seconds: number;
  /** When the function was registered. */
  created_at: DefaultedTimestamp;
  /** When its current version was made (or it was deleted). */
  updated_at: DefaultedTimestamp;
  /** The current version: 1 when registered, one more for each change. */
  version: Defaulted<number>;
  /** When the function was deleted; NULL while it takes tasks. */
  deleted_at: NullableTimestamp;
  /** Version of the function's stream this row reflects. */
  last_stream_version: Int8;
}

export type FunctionRow = Selectable<FunctionsTable>;
export type NewFunctionRow = Insertable<FunctionsTable>;
export type FunctionRowUpdate = Updateable<FunctionsTable>;

/** `api.function_versions`: every version of every function, as it was made. */
export interface FunctionVersionsTable extends RequirementColumns, TaskPolicyColumns {
  function_id: string;
  version: number;
  account_id: string;
  description: string;
  runtime: ColumnType<RuntimeSpec, RuntimeSpec | string, RuntimeSpec | string>;
  /** When this version was made: registered, or changed to. */
  created_at: Timestamp;
}

export type FunctionVersionRow = Selectable<FunctionVersionsTable>;
export type NewFunctionVersionRow = Insertable<FunctionVersionsTable>;
