import { Kysely, Migrator, NO_MIGRATIONS, PostgresDialect } from 'kysely';
import type { Migration, MigrationResultSet } from 'kysely';
import pg from 'pg';

/**
 * One library's migrations and where their bookkeeping lives. Every library that owns tables in the
 * shared database (the event store, the read models, leadership, idempotency keys, rate limits)
 * keeps its own list and its own bookkeeping tables, so that each migrates on its own schedule and
 * none sees another's migrations as unknown.
 */
export interface SchemaMigrations {
  /** What the migrations bring up to date, as errors name it: `event store`, `leadership`... */
  readonly subject: string;
  readonly migrations: Readonly<Record<string, Migration>>;
  /** The schema of the bookkeeping tables (created when missing). */
  readonly bookkeepingSchema: string;
  /** Their names; kysely's by default, which is enough in a schema of the library's own. */
  readonly bookkeepingTable?: string;
  readonly bookkeepingLockTable?: string;
}

function migratorFor<DB>(db: Kysely<DB>, schema: SchemaMigrations): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...schema.migrations }) },
    migrationTableSchema: schema.bookkeepingSchema,
    migrationTableName: schema.bookkeepingTable ?? 'kysely_migration',
    migrationLockTableName: schema.bookkeepingLockTable ?? 'kysely_migration_lock',
  });
}

function appliedOrThrow(outcome: MigrationResultSet, failing: string): string[] {
  const { error, results } = outcome;
  if (error !== undefined) throw new Error(`${failing}: ${String(error)}`, { cause: error });
  return (results ?? []).map((result) => result.migrationName);
}

/**
 * Applies the migrations not yet applied, in name order, and resolves with their names. Safe to run
 * concurrently and repeatedly (every replica of a service migrates at start): kysely takes a lock
 * in the database for the run. A failing migration is rolled back and rejects, naming it.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  schema: SchemaMigrations,
): Promise<string[]> {
  const outcome = await migratorFor(db, schema).migrateToLatest();
  const failed = outcome.results?.find((result) => result.status === 'Error')?.migrationName;
  return appliedOrThrow(
    outcome,
    `${schema.subject} migration ${failed ?? '(before any migration ran)'} failed`,
  );
}

/** Undoes every migration, the latest first, and resolves with their names (tests and development). */
export async function rollBackAll<DB>(db: Kysely<DB>, schema: SchemaMigrations): Promise<string[]> {
  return appliedOrThrow(
    await migratorFor(db, schema).migrateTo(NO_MIGRATIONS),
    `rolling back the ${schema.subject} failed`,
  );
}

/**
 * Runs `use` over a connection of its own to `connectionString`, closed afterwards: a migration
 * must not hold a connection of a pool sized for the service's work, nor run under its timeouts.
 */
export async function withMigrationConnection<T>(
  connectionString: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: migrations create it
  use: (db: Kysely<any>) => Promise<T>,
): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString, max: 1 }) }),
  });
  try {
    return await use(db);
  } finally {
    await db.destroy();
  }
}
