import type { Insertable, Selectable } from 'kysely';
import type { DefaultedTimestamp, Int8, NullableTimestamp, Timestamp } from './column-types.js';

/** `api.accounts`: one row per account (the fold of `account-<accountId>`). */
export interface AccountsTable {
  account_id: string;
  name: string;
  created_at: Timestamp;
  /** Version of the account's stream this row (and its keys) reflect. */
  last_stream_version: Int8;
  updated_at: DefaultedTimestamp;
}

/** `api.api_keys`: an account's API keys, for listing; never the key or its hash. */
export interface ApiKeysTable {
  account_id: string;
  /** 12 lower-case hex characters, unique within the account. */
  key_id: string;
  label: string | null;
  issued_at: Timestamp;
  /** NULL while the key is valid. */
  revoked_at: NullableTimestamp;
}

export type AccountRow = Selectable<AccountsTable>;
export type NewAccountRow = Insertable<AccountsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;
