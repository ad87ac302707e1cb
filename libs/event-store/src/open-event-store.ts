import type { EventStore } from './port/event-store.js';

/** Which adapter a service runs on, as its configuration says. */
export type EventStoreSelection =
  | { readonly kind: 'postgres'; readonly connectionString: string }
  | { readonly kind: 'eventstoredb'; readonly connectionString: string };

/**
 * Opens the configured event store, running the PostgreSQL adapter's migrations first. Adapters are
 * loaded on demand, so a service on PostgreSQL never loads the EventStoreDB client and vice versa.
 */
export async function openEventStore(selection: EventStoreSelection): Promise<EventStore> {
  switch (selection.kind) {
    case 'postgres': {
      const { PostgresEventStore, migrateEventStore } = await import('./postgres/index.js');
      await migrateEventStore(selection.connectionString);
      return new PostgresEventStore({ connectionString: selection.connectionString });
    }
    case 'eventstoredb': {
      const { EventStoreDbEventStore } = await import('./eventstoredb/index.js');
      return new EventStoreDbEventStore({ connectionString: selection.connectionString });
    }
    default: {
      const unknown: never = selection;
      throw new Error(`unknown event store ${JSON.stringify(unknown)}`);
    }
  }
}
