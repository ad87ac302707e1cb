import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Defaulted, DefaultedTimestamp } from './column-types.js';

/** `api.functions`: registered functions and what a node needs to run them. */
export interface FunctionsTable {
  function_id: string;
  account_id: string;
  name: string;
  description: string | null;
  cpu_count: Defaulted<number>;
  /** MiB. */
  mem_size: Defaulted<number>;
  /** Milliseconds; 0 means no requirement. */
  network_latency: Defaulted<number>;
  privileged: Defaulted<boolean>;
  timeout_seconds: number;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type FunctionRow = Selectable<FunctionsTable>;
export type NewFunctionRow = Insertable<FunctionsTable>;
export type FunctionRowUpdate = Updateable<FunctionsTable>;
