import type { EventStoreSelection } from '@canopy/service-runtime';
import type { Pool } from 'pg';
import type { EventStore, FenceCheck } from './port/event-store.js';

export type { EventStoreSelection } from '@canopy/service-runtime';

export interface OpenEventStoreOptions {
  /**
   * A pool on the selected PostgreSQL database for the store to borrow (it never ends it), so that
   * a service shares one pool between its event store and its read models. Ignored for EventStoreDB.
   */
  readonly pool?: Pool;
  /**
   * How an adapter that cannot check an append's fence in the append itself checks it just before
   * (EventStoreDB). The PostgreSQL adapter checks fences in the append's transaction and ignores it.
   */
  readonly fenceHolds?: FenceCheck;
  /**
   * How long the PostgreSQL adapter's subscriptions may wait before reading the store's own
   * appends (see PostgresEventStoreOptions); EventStoreDB pushes every event and ignores it.
   */
  readonly ownCommitsReadDelayMs?: number;
}

/**
 * Opens the selected event store (`eventStoreSelectionOf(config)` of `@canopy/service-runtime`),
 * running the PostgreSQL adapter's migrations first. Adapters are loaded on demand, so a service on
 * PostgreSQL never loads the EventStoreDB client and vice versa.
 */
export async function openEventStore(
  selection: EventStoreSelection,
  options: OpenEventStoreOptions = {},
): Promise<EventStore> {
  switch (selection.kind) {
    case 'postgres': {
      const { PostgresEventStore, migrateEventStore } = await import('./postgres/index.js');
      await migrateEventStore(selection.connectionString);
      const { ownCommitsReadDelayMs } = options;
      return options.pool === undefined
        ? new PostgresEventStore({
            connectionString: selection.connectionString,
            ownCommitsReadDelayMs,
          })
        : new PostgresEventStore({ pool: options.pool, ownCommitsReadDelayMs });
    }
    case 'eventstoredb': {
      const { EventStoreDbEventStore } = await import('./eventstoredb/index.js');
      return new EventStoreDbEventStore({
        connectionString: selection.connectionString,
        ...(options.fenceHolds === undefined ? {} : { fenceHolds: options.fenceHolds }),
      });
    }
    default: {
      const unknown: never = selection;
      throw new Error(`unknown event store ${JSON.stringify(unknown)}`);
    }
  }
}
