import {
  ConfigurationError,
  EVENTSTORE_URL_REQUIRED,
  type CommonConfig,
} from './service-config.js';

/**
 * Which event store adapter a service runs on, and where it is, as its configuration says.
 * `openEventStore` of `@canopy/event-store` opens it.
 */
export type EventStoreSelection =
  | { readonly kind: 'postgres'; readonly connectionString: string }
  | { readonly kind: 'eventstoredb'; readonly connectionString: string };

/** The event store a service's configuration selects: EVENT_STORE with DATABASE_URL or EVENTSTORE_URL. */
export function eventStoreSelectionOf(
  config: Pick<CommonConfig, 'EVENT_STORE' | 'EVENTSTORE_URL' | 'DATABASE_URL'>,
): EventStoreSelection {
  switch (config.EVENT_STORE) {
    case 'postgres':
      return { kind: 'postgres', connectionString: config.DATABASE_URL };
    case 'eventstoredb':
      // commonConfigSchema refuses this already; a configuration built by hand may not have been read.
      if (config.EVENTSTORE_URL === undefined) {
        throw new ConfigurationError([`EVENTSTORE_URL: ${EVENTSTORE_URL_REQUIRED}`]);
      }
      return { kind: 'eventstoredb', connectionString: config.EVENTSTORE_URL };
    default: {
      const unknown: never = config.EVENT_STORE;
      throw new Error(`unknown event store ${String(unknown)}`);
    }
  }
}
