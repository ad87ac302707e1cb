import { Migrator, type Kysely } from 'kysely';
import { rateLimitMigrations } from './migrations/index.js';

/**
 * Brings the `rate_limits` schema up to date (its own migration bookkeeping, in that schema); safe
 * to run concurrently and repeatedly.
 */
export async function migrateRateLimits<DB>(db: Kysely<DB>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...rateLimitMigrations }) },
    migrationTableSchema: 'rate_limits',
    migrationTableName: 'kysely_migration',
    migrationLockTableName: 'kysely_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(`rate limit migration ${failed ?? '(before any migration ran)'} failed`, {
      cause: error,
    });
  }
}
