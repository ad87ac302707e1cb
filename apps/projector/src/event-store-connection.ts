import type { EventStore } from '@canopy/event-store';
import { EventStoreDbEventStore } from '@canopy/event-store/eventstoredb';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import type pg from 'pg';
import type { ProjectorConfig } from './projector-config.js';

/** The event store the configuration names; the PostgreSQL one shares `pool` and is migrated first. */
export async function openEventStore(
  config: Pick<ProjectorConfig, 'EVENT_STORE' | 'EVENTSTORE_URL' | 'DATABASE_URL'>,
  pool: pg.Pool,
): Promise<EventStore> {
  switch (config.EVENT_STORE) {
    case 'postgres':
      await migrateEventStore(config.DATABASE_URL);
      return new PostgresEventStore({ pool });
    case 'eventstoredb': {
      if (config.EVENTSTORE_URL === undefined)
        throw new Error('EVENTSTORE_URL is required when EVENT_STORE=eventstoredb');
      return new EventStoreDbEventStore({ connectionString: config.EVENTSTORE_URL });
    }
    default: {
      const unknown: never = config.EVENT_STORE;
      throw new Error(`unknown event store ${String(unknown)}`);
    }
  }
}
