import type { Migration } from 'kysely';
import * as createIdempotencyKeys from './2026_12_06_09_00_00_create_idempotency_keys.js';

/** Every migration of the idempotency schema, by name; names sort in the order they apply. Append only. */
export const idempotencyMigrations: Readonly<Record<string, Migration>> = {
  '2026_12_06_09_00_00_create_idempotency_keys': createIdempotencyKeys,
};
