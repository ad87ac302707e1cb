import type { ColumnType, Generated, Selectable } from 'kysely';

/** `idempotency.keys`: one row per key an account used (migrations/, first migration). */
export interface IdempotencyKeysTable {
  account_id: string;
  idempotency_key: string;
  /** requestFingerprint() of the request the key was first used with. */
  fingerprint: string;
  /** The id of the resource that request creates, chosen before it is created. */
  resource_id: string;
  /** The creation time given to that resource (a task's issue time). */
  resource_at: ColumnType<Date, Date, Date>;
  expires_at: ColumnType<Date, Date, Date>;
  /** The HTTP status the request was answered with once the resource was created; null before. */
  status: number | null;
  completed_at: Generated<Date | null>;
}

export interface IdempotencyDatabase {
  'idempotency.keys': IdempotencyKeysTable;
}

export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
