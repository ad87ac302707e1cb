import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { eventStoreMigrations } from './migrations/index.js';

/**
 * Brings the `event_store` schema up to date. Takes a kysely instance (left open) or a connection
 * string (a connection is opened and closed for the purpose). The migration bookkeeping lives in
 * the `event_store` schema, apart from other libraries' migrations in the same database.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateEventStore(target: Kysely<any> | string): Promise<void> {
  const db =
    typeof target === 'string'
      ? // eslint-disable-next-line @typescript-eslint/no-explicit-any
        new Kysely<any>({
          dialect: new PostgresDialect({
            pool: new pg.Pool({ connectionString: target, max: 1 }),
          }),
        })
      : target;
  try {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => ({ ...eventStoreMigrations }) },
      migrationTableSchema: 'event_store',
      migrationTableName: 'kysely_migration',
      migrationLockTableName: 'kysely_migration_lock',
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName;
      throw new Error(`event store migration ${failed ?? ''} failed`, { cause: error });
    }
  } finally {
    if (typeof target === 'string') await db.destroy();
  }
}
