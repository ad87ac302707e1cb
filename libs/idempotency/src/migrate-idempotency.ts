import type { Kysely } from 'kysely';
import { migrateToLatest } from '@canopy/schema-migrations';
import { idempotencyMigrations } from './migrations/index.js';

/**
 * Brings the `idempotency` schema up to date (its own migration bookkeeping, in that schema); safe
 * to run concurrently and repeatedly.
 */
export async function migrateIdempotency<DB>(db: Kysely<DB>): Promise<void> {
  await migrateToLatest(db, {
    subject: 'idempotency',
    migrations: idempotencyMigrations,
    bookkeepingSchema: 'idempotency',
  });
}
