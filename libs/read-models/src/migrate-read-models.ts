import type { Kysely } from 'kysely';
import { migrateToLatest, rollBackAll } from '@canopy/schema-migrations';
import type { SchemaMigrations } from '@canopy/schema-migrations';
import { readModelMigrations } from './migrations/index.js';

// Bookkeeping lives outside `api` and `analytics` (a down migration drops those schemas) and under
// names of its own: other libraries run their own migrators in the same database.
const readModelSchema: SchemaMigrations = {
  subject: 'read model',
  migrations: readModelMigrations,
  bookkeepingSchema: 'public',
  bookkeepingTable: 'read_model_migration',
  bookkeepingLockTable: 'read_model_migration_lock',
};

/**
 * Brings the `api` and `analytics` schemas and the `canopy_analyst` grants up to date; safe to run
 * concurrently and repeatedly. Returns the names of the migrations it applied.
 */
export function migrateReadModels<DB>(db: Kysely<DB>): Promise<string[]> {
  return migrateToLatest(db, readModelSchema);
}

/** Undoes every read-model migration (development and tests only: it drops the read models). */
export function rollBackReadModels<DB>(db: Kysely<DB>): Promise<string[]> {
  return rollBackAll(db, readModelSchema);
}
