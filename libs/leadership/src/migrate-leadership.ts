import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { leadershipMigrations } from './migrations/index.js';

/** Brings the `leadership` schema up to date (its own migration bookkeeping, in that schema). */
export async function migrateLeadership(connectionString: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString, max: 1 }) }),
  });
  try {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => ({ ...leadershipMigrations }) },
      migrationTableSchema: 'leadership',
      migrationTableName: 'kysely_migration',
      migrationLockTableName: 'kysely_migration_lock',
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName;
      throw new Error(`leadership migration ${failed ?? ''} failed`, { cause: error });
    }
  } finally {
    await db.destroy();
  }
}
