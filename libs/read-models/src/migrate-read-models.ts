import { Migrator, NO_MIGRATIONS, type Kysely } from 'kysely';
import { readModelMigrations } from './migrations/index.js';

// Bookkeeping lives outside `api` and `analytics` (a down migration drops those schemas) and under
// names of its own: other libraries run their own migrators in the same database.
const MIGRATION_TABLE_SCHEMA = 'public';
const MIGRATION_TABLE = 'read_model_migration';
const MIGRATION_LOCK_TABLE = 'read_model_migration_lock';

function readModelMigrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...readModelMigrations }) },
    migrationTableSchema: MIGRATION_TABLE_SCHEMA,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

/**
 * Brings the `api` and `analytics` schemas and the `canopy_analyst` grants up to date; safe to run
 * concurrently and repeatedly. Returns the names of the migrations it applied.
 */
export async function migrateReadModels<DB>(db: Kysely<DB>): Promise<string[]> {
  const { error, results } = await readModelMigrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(
      `read model migration ${failed ?? '(before any migration ran)'} failed: ${String(error)}`,
      { cause: error },
    );
  }
  return (results ?? []).map((result) => result.migrationName);
}

/** Undoes every read-model migration (development and tests only: it drops the read models). */
export async function rollBackReadModels<DB>(db: Kysely<DB>): Promise<string[]> {
  const { error, results } = await readModelMigrator(db).migrateTo(NO_MIGRATIONS);
  if (error !== undefined)
    throw new Error(`rolling back the read models failed: ${String(error)}`, { cause: error });
  return (results ?? []).map((result) => result.migrationName);
}
