import type { Kysely } from 'kysely';
import { migrateToLatest } from '@canopy/schema-migrations';
import { rateLimitMigrations } from './migrations/index.js';

/**
 * Brings the `rate_limits` schema up to date (its own migration bookkeeping, in that schema); safe
 * to run concurrently and repeatedly.
 */
export async function migrateRateLimits<DB>(db: Kysely<DB>): Promise<void> {
  await migrateToLatest(db, {
    subject: 'rate limit',
    migrations: rateLimitMigrations,
    bookkeepingSchema: 'rate_limits',
  });
}
