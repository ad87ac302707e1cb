import { eventStoreSelectionOf } from './event-store-selection.js';
import { ConfigurationError, commonConfigSchema } from './service-config.js';

describe('eventStoreSelectionOf', () => {
  test('PostgreSQL at DATABASE_URL by default', () => {
    expect(
      eventStoreSelectionOf(
        commonConfigSchema.parse({ DATABASE_URL: 'postgres://db.example:5432/canopy' }),
      ),
    ).toEqual({ kind: 'postgres', connectionString: 'postgres://db.example:5432/canopy' });
  });

  test('EventStoreDB at EVENTSTORE_URL, whatever DATABASE_URL says', () => {
    expect(
      eventStoreSelectionOf(
        commonConfigSchema.parse({
          EVENT_STORE: 'eventstoredb',
          EVENTSTORE_URL: 'esdb://localhost:2113?tls=false',
        }),
      ),
    ).toEqual({ kind: 'eventstoredb', connectionString: 'esdb://localhost:2113?tls=false' });
  });

  test('a configuration built without its schema still cannot select EventStoreDB without a URL', () => {
    expect(() =>
      eventStoreSelectionOf({ EVENT_STORE: 'eventstoredb', DATABASE_URL: 'postgres://x/y' }),
    ).toThrow(ConfigurationError);
    expect(() =>
      eventStoreSelectionOf({ EVENT_STORE: 'eventstoredb', DATABASE_URL: 'postgres://x/y' }),
    ).toThrow(/EVENTSTORE_URL: is required when EVENT_STORE=eventstoredb/);
  });
});
