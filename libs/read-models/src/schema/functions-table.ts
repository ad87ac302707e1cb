import type { RuntimeSpec } from '@canopy/contracts';
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { Defaulted, DefaultedTimestamp, Int8 } from './column-types.js';

/** `api.functions`: functions as registered (FunctionRegistered), and what a node needs to run them. */
export interface FunctionsTable {
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
  updated_at: DefaultedTimestamp;
  /** Version of the function's stream this row reflects. */
  last_stream_version: Int8;
}

export type FunctionRow = Selectable<FunctionsTable>;
export type NewFunctionRow = Insertable<FunctionsTable>;
export type FunctionRowUpdate = Updateable<FunctionsTable>;
