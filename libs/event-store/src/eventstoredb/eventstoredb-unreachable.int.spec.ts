import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { UnavailableError } from '@eventstore/db-client';
import { EventStoreUnavailableError } from '../port/errors.js';
import { EventStoreDbEventStore } from './eventstoredb-event-store.js';
import type { SubscriptionDrop } from './resumable-all-subscription.js';

// The real client against a listener that hangs up on every connection: what the adapter makes of
// a store it cannot reach, without needing an EventStoreDB server.

let server: Server;
let connectionString: string;

beforeAll(async () => {
  server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  connectionString = `esdb://127.0.0.1:${port}?tls=false`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
});

describe('EventStoreDbEventStore when the server cannot be reached', () => {
  test('reads and appends fail with EventStoreUnavailableError, the client’s error as cause', async () => {
    const store = new EventStoreDbEventStore({ connectionString });
    try {
      const read = store.readStream('task-1');
      await expect(read).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(read).rejects.toMatchObject({ cause: expect.any(UnavailableError) });

      const append = store.appendToStream(
        'task-1',
        [{ id: randomUUID(), type: 'TaskIssued', data: {} }],
        { expectedVersion: 'no_stream' },
      );
      await expect(append).rejects.toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  test('a subscription reports each drop and resubscribes with growing delays until aborted', async () => {
    const drops: SubscriptionDrop[] = [];
    const abort = new AbortController();
    const store = new EventStoreDbEventStore({
      connectionString,
      onSubscriptionDropped: (drop) => {
        drops.push(drop);
        if (drops.length === 3) abort.abort();
      },
    });
    try {
      const batches: unknown[] = [];
      for await (const batch of store.subscribeToAll({ signal: abort.signal })) batches.push(batch);

      expect(batches).toEqual([]);
      expect(drops.map((drop) => [drop.consecutiveFailures, drop.retryInMs])).toEqual([
        [1, 100],
        [2, 200],
        [3, 400],
      ]);
      for (const drop of drops) expect(drop.error).toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  test('closing the store ends its subscriptions', async () => {
    const store = new EventStoreDbEventStore({ connectionString });
    let batches = 0;
    const consumed = (async () => {
      for await (const _ of store.subscribeToAll()) batches += 1;
    })();
    const closed = (async () => {
      // Closed while it waits to resubscribe, or while it is subscribing: either way it ends.
      await new Promise((resolve) => setImmediate(resolve));
      await store.close();
    })();
    await Promise.all([consumed, closed]);
    expect(batches).toBe(0);
  });
});
