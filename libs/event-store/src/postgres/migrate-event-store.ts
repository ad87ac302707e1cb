import type { Kysely } from 'kysely';
import { migrateToLatest, withMigrationConnection } from '@canopy/schema-migrations';
import type { SchemaMigrations } from '@canopy/schema-migrations';
import { eventStoreMigrations } from './migrations/index.js';

// The bookkeeping lives in the `event_store` schema, apart from other libraries' migrations in the
// same database.
const eventStoreSchema: SchemaMigrations = {
  subject: 'event store',
  migrations: eventStoreMigrations,
  bookkeepingSchema: 'event_store',
};

/**
 * Brings the `event_store` schema up to date. Takes a kysely instance (left open) or a connection
 * string (a connection is opened and closed for the purpose).
 */
export async function migrateEventStore<DB>(target: Kysely<DB> | string): Promise<void> {
  if (typeof target === 'string') {
    await withMigrationConnection(target, (db) => migrateToLatest(db, eventStoreSchema));
  } else {
    await migrateToLatest(target, eventStoreSchema);
  }
}
