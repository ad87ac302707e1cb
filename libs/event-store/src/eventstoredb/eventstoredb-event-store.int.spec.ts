import { randomUUID } from 'node:crypto';
import { EventStoreDBClient } from '@eventstore/db-client';
import type { NewEvent } from '../port/event-store.js';
import { describeEventStoreContract, RecordingSubscription } from '../testing/index.js';
import { EventStoreDbEventStore } from './eventstoredb-event-store.js';

// No EventStoreDB server can run on the development machines, so this suite runs only where one
// is configured, for example: docker run -p 2113:2113 eventstore/eventstore --insecure --run-projections=None
// then EVENTSTORE_URL=esdb://localhost:2113?tls=false. Every test uses fresh stream names, so a
// server holding earlier runs' data will do.
const eventStoreUrl = process.env.EVENTSTORE_URL;

if (eventStoreUrl === undefined || eventStoreUrl === '') {
  describe.skip('EventStoreDB contract (set EVENTSTORE_URL=esdb://localhost:2113?tls=false to run)', () => {
    test('runs against a real EventStoreDB server only', () => {
      // Reported as skipped, under the name above, when no server is configured.
    });
  });
} else {
  const connectionString = eventStoreUrl;

  describeEventStoreContract('EventStoreDB', {
    create: async () => new EventStoreDbEventStore({ connectionString }),
    // EventStoreDB keeps no index of event ids: see EventStoreDbEventStore.appendToStream.
    detectsEventIdReuse: false,
  });

  describe('EventStoreDB adapter on a real server', () => {
    let client: EventStoreDBClient;
    let store: EventStoreDbEventStore;

    beforeAll(() => {
      client = EventStoreDBClient.connectionString(connectionString);
      store = new EventStoreDbEventStore({ client });
    });

    afterAll(async () => {
      await store.close();
      await client.dispose();
    });

    test('a tombstone inside the subscribed prefix is not delivered', async () => {
      const prefix = `esdb${randomUUID().replaceAll('-', '').slice(0, 12)}-`;
      const deleted = [newEvent()];
      await store.appendToStream(`${prefix}deleted`, deleted, { expectedVersion: 'no_stream' });
      // Writes a `$streamDeleted` event into the stream itself, which the name filter lets through.
      await client.tombstoneStream(`${prefix}deleted`);
      const sentinel = [newEvent()];
      await store.appendToStream(`${prefix}sentinel`, sentinel, { expectedVersion: 'no_stream' });

      const subscription = new RecordingSubscription(store, { streamPrefix: prefix });
      const received = await subscription.waitForIds(sentinel.map((event) => event.id));
      await subscription.stop();

      expect(received.map((event) => [event.streamId, event.type])).toEqual([
        [`${prefix}deleted`, 'Noted'],
        [`${prefix}sentinel`, 'Noted'],
      ]);
    });

    test('the result of an append is the position its last event is read at, also for a repeat', async () => {
      const streamId = `esdb-${randomUUID()}`;
      const batch = [newEvent(), newEvent(), newEvent()];
      const appended = await store.appendToStream(streamId, batch, { expectedVersion: 'any' });
      await store.appendToStream(streamId, [newEvent()], { expectedVersion: 'any' });

      // Overtaken by another append, the repeat is recognised by the server, not at the stream's end.
      const repeated = await store.appendToStream(streamId, batch, { expectedVersion: 'any' });

      const read = await store.readStream(streamId);
      expect(read).toHaveLength(4);
      expect(appended).toEqual({
        nextExpectedVersion: 3,
        lastGlobalPosition: read[2]?.globalPosition,
      });
      expect(repeated).toEqual(appended);
    });
  });
}

function newEvent(): NewEvent {
  return { id: randomUUID(), type: 'Noted', data: { at: new Date().toISOString() } };
}
