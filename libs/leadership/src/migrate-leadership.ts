import { migrateToLatest, withMigrationConnection } from '@canopy/schema-migrations';
import { leadershipMigrations } from './migrations/index.js';

/** Brings the `leadership` schema up to date (its own migration bookkeeping, in that schema). */
export async function migrateLeadership(connectionString: string): Promise<void> {
  await withMigrationConnection(connectionString, (db) =>
    migrateToLatest(db, {
      subject: 'leadership',
      migrations: leadershipMigrations,
      bookkeepingSchema: 'leadership',
    }),
  );
}
