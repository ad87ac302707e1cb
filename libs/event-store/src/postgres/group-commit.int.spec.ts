import { randomUUID } from 'node:crypto';
import { eventually } from '@canopy/async-testing';
import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import pg from 'pg';
import type { NewEvent } from '../port/event-store.js';
import { EventIdConflictError, ExpectedVersionConflictError } from '../port/errors.js';
import { migrateEventStore, PostgresEventStore, type PostgresEventStoreHooks } from './index.js';

let database: TestDatabase;
let admin: pg.Pool;
const stores: PostgresEventStore[] = [];

function openStore(
  options: {
    maxBatchEvents?: number;
    maxBatchJsonChars?: number;
    maxTransactionsInFlight?: number;
    minQueuedToOverlap?: number;
    hooks?: PostgresEventStoreHooks;
  } = {},
) {
  const store = new PostgresEventStore({ ...options, connectionString: database.url });
  stores.push(store);
  return store;
}

beforeAll(async () => {
  database = await createTestDatabase('event_store_group_commit');
  await migrateEventStore(database.url);
  admin = new pg.Pool({ connectionString: database.url, max: 2 });
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await admin?.end();
  await database?.drop();
});

function newEvent(type = 'Happened'): NewEvent {
  return { id: randomUUID(), type, data: { at: 'test' } };
}

/** Number of events written by each transaction that wrote to these streams. */
async function eventsPerTransaction(streamIds: readonly string[]): Promise<number[]> {
  const { rows } = await admin.query<{ events: number }>(
    `SELECT count(*)::int AS events FROM event_store.events
     WHERE stream_id = ANY ($1) GROUP BY transaction_id ORDER BY min(global_position)`,
    [streamIds],
  );
  return rows.map((row) => row.events);
}

async function backendsWaitingOn(waitEvent: string): Promise<number> {
  const { rows } = await admin.query<{ waiting: number }>(
    `SELECT count(*)::int AS waiting FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1`,
    [waitEvent],
  );
  return rows[0]?.waiting ?? 0;
}

/** Connections of this database inside a transaction, the admin pool's own query aside. */
async function backendsInTransaction(): Promise<number> {
  const { rows } = await admin.query<{ open: number }>(
    `SELECT count(*)::int AS open FROM pg_stat_activity
     WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()`,
  );
  return rows[0]?.open ?? 0;
}

function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A store whose commits wait inside their transaction until `release()`; `inside` says one is. */
function openHeldStore(): { store: PostgresEventStore; inside: Promise<void>; release(): void } {
  const inside = gate();
  const release = gate();
  const store = openStore({
    hooks: {
      beforeCommit: async () => {
        inside.open();
        await release.opened;
      },
    },
  });
  return { store, inside: inside.opened, release: release.open };
}

test('appends issued together share one transaction, and a conflicting one fails alone', async () => {
  const store = openStore();
  const existing = `gc-${randomUUID()}`;
  await store.appendToStream(existing, [newEvent()], { expectedVersion: 'no_stream' });
  const streams = Array.from({ length: 10 }, () => `gc-${randomUUID()}`);

  const [conflicting, ...others] = await Promise.allSettled([
    store.appendToStream(existing, [newEvent()], { expectedVersion: 5 }),
    ...streams.map((streamId) =>
      store.appendToStream(streamId, [newEvent(), newEvent()], { expectedVersion: 'no_stream' }),
    ),
  ]);

  expect(conflicting?.status).toBe('rejected');
  expect(conflicting?.status === 'rejected' && conflicting.reason).toBeInstanceOf(
    ExpectedVersionConflictError,
  );
  expect(others.map((outcome) => outcome.status)).toEqual(streams.map(() => 'fulfilled'));
  await expect(eventsPerTransaction(streams)).resolves.toEqual([20]);
  await expect(eventsPerTransaction([existing])).resolves.toEqual([1]);
});

test('two appends to one stream in one transaction get consecutive versions', async () => {
  const store = openStore();
  const streamId = `gc-${randomUUID()}`;

  const [first, second] = await Promise.all([
    store.appendToStream(streamId, [newEvent('First')], { expectedVersion: 'no_stream' }),
    store.appendToStream(streamId, [newEvent('Second')], { expectedVersion: 1 }),
  ]);

  expect([first.nextExpectedVersion, second.nextExpectedVersion]).toEqual([1, 2]);
  expect((await store.readStream(streamId)).map((event) => event.type)).toEqual([
    'First',
    'Second',
  ]);
  await expect(eventsPerTransaction([streamId])).resolves.toEqual([2]);
});

test('a transaction holds at most maxBatchEvents events; a larger single append goes alone', async () => {
  const store = openStore({ maxBatchEvents: 4 });
  const streams = Array.from({ length: 10 }, () => `gc-${randomUUID()}`);
  const large = `gc-${randomUUID()}`;

  await Promise.all([
    ...streams.map((streamId) =>
      store.appendToStream(streamId, [newEvent()], { expectedVersion: 'no_stream' }),
    ),
    store.appendToStream(
      large,
      Array.from({ length: 6 }, () => newEvent()),
      {
        expectedVersion: 'no_stream',
      },
    ),
  ]);

  const sizes = await eventsPerTransaction([...streams, large]);
  expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(16);
  expect(sizes.filter((size) => size > 4)).toEqual([6]);
  await expect(eventsPerTransaction([large])).resolves.toEqual([6]);
});

test('a transaction holds at most maxBatchJsonChars of JSON; a larger single append goes alone', async () => {
  // Each event below is 1 000 characters of data and 2 of metadata ('{}').
  const store = openStore({ maxBatchJsonChars: 3_100 });
  const sized = (): NewEvent => ({ id: randomUUID(), type: 'Happened', data: 'x'.repeat(998) });
  const streams = Array.from({ length: 9 }, () => `gc-${randomUUID()}`);
  const large = `gc-${randomUUID()}`;

  await Promise.all([
    ...streams.map((streamId) =>
      store.appendToStream(streamId, [sized()], { expectedVersion: 'no_stream' }),
    ),
    store.appendToStream(large, [sized(), sized(), sized(), sized()], {
      expectedVersion: 'no_stream',
    }),
  ]);

  const sizes = await eventsPerTransaction([...streams, large]);
  expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(13);
  expect(sizes.filter((size) => size > 3)).toEqual([4]);
  await expect(eventsPerTransaction([large])).resolves.toEqual([4]);
  const { rows } = await admin.query<{ data: unknown }>(
    'SELECT data FROM event_store.events WHERE stream_id = $1 ORDER BY stream_version',
    [large],
  );
  expect(rows.map((row) => row.data)).toEqual(Array.from({ length: 4 }, () => 'x'.repeat(998)));
});

test('when a batch fails unexpectedly, its appends are retried one by one', async () => {
  let commits = 0;
  const store = openStore({
    hooks: {
      beforeCommit: async () => {
        commits += 1;
        if (commits === 1) throw new Error('injected failure of the first transaction');
      },
    },
  });
  const streams = Array.from({ length: 5 }, () => `gc-${randomUUID()}`);

  await Promise.all(
    streams.map((streamId) =>
      store.appendToStream(streamId, [newEvent()], { expectedVersion: 'no_stream' }),
    ),
  );

  await expect(eventsPerTransaction(streams)).resolves.toEqual([1, 1, 1, 1, 1]);
});

test('an event id stored concurrently by another store in another stream is an EventIdConflictError', async () => {
  const { store: holding, inside, release } = openHeldStore();
  const other = openStore();
  const shared = newEvent('Shared');

  const first = holding.appendToStream(`gc-${randomUUID()}`, [shared], {
    expectedVersion: 'no_stream',
  });
  await inside;
  const second = other.appendToStream(`gc-${randomUUID()}`, [newEvent(), shared], {
    expectedVersion: 'no_stream',
  });
  // The second INSERT waits on the first transaction's uncommitted row with the same event id.
  await eventually(
    async () => expect(await backendsWaitingOn('transactionid')).toBeGreaterThan(0),
    20_000,
  );
  release();

  await expect(first).resolves.toMatchObject({ nextExpectedVersion: 1 });
  await expect(second).rejects.toBeInstanceOf(EventIdConflictError);
});

test('a retry racing the original append to the same stream gets the original result', async () => {
  const { store: holding, inside, release } = openHeldStore();
  const other = openStore();
  const streamId = `gc-${randomUUID()}`;
  const batch = [newEvent(), newEvent()];

  const original = holding.appendToStream(streamId, batch, { expectedVersion: 'any' });
  await inside;
  const retry = other.appendToStream(streamId, batch, { expectedVersion: 'any' });
  // The retry waits for the stream lock.
  await eventually(
    async () => expect(await backendsWaitingOn('advisory')).toBeGreaterThan(0),
    20_000,
  );
  release();

  const result = await original;
  await expect(retry).resolves.toEqual(result);
  expect(await other.readStream(streamId)).toHaveLength(2);
});

test('while one transaction is open, appends to other streams commit in a second; the same stream waits', async () => {
  const inside = gate();
  const release = gate();
  let held = false;
  const store = openStore({
    minQueuedToOverlap: 1,
    hooks: {
      beforeCommit: async () => {
        if (held) return;
        held = true;
        inside.open();
        await release.opened;
      },
    },
  });
  const busy = `gc-${randomUUID()}`;
  const other = `gc-${randomUUID()}`;

  const first = store.appendToStream(busy, [newEvent('First')], { expectedVersion: 'no_stream' });
  await inside.opened;
  let sameStreamSettled = false;
  const sameStream = store
    .appendToStream(busy, [newEvent('Second')], { expectedVersion: 1 })
    .finally(() => (sameStreamSettled = true));
  await expect(
    store.appendToStream(other, [newEvent()], { expectedVersion: 'no_stream' }),
  ).resolves.toMatchObject({ nextExpectedVersion: 1 });
  expect(sameStreamSettled).toBe(false);

  release.open();
  await expect(first).resolves.toMatchObject({ nextExpectedVersion: 1 });
  await expect(sameStream).resolves.toMatchObject({ nextExpectedVersion: 2 });
  expect((await store.readStream(busy)).map((event) => event.type)).toEqual(['First', 'Second']);
});

/**
 * A store whose first transaction stays open until `release()` (`inside` says it is), later ones
 * commit at once; `transactions()` counts those that reached their commit.
 */
function openStoreHoldingTheFirst(minQueuedToOverlap?: number) {
  const inside = gate();
  const release = gate();
  let transactions = 0;
  const store = openStore({
    ...(minQueuedToOverlap === undefined ? {} : { minQueuedToOverlap }),
    hooks: {
      beforeCommit: async () => {
        transactions += 1;
        if (transactions > 1) return;
        inside.open();
        await release.opened;
      },
    },
  });
  const append = (streamId: string) =>
    store.appendToStream(streamId, [newEvent()], { expectedVersion: 'no_stream' });
  return { append, inside: inside.opened, release: release.open, transactions: () => transactions };
}

/** Lets the store's queued work start: a microtask, and a tick. */
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

test('beside an open transaction, a second starts only once minQueuedToOverlap appends wait, and takes them all', async () => {
  const { append, inside, release, transactions } = openStoreHoldingTheFirst(3);
  const waiting = Array.from({ length: 3 }, () => `gc-${randomUUID()}`);

  const held = append(`gc-${randomUUID()}`);
  await inside;
  // One at a time, each in a tick of its own: with a free slot each could start a transaction.
  const early = [append(waiting[0] as string)];
  await nextTick();
  early.push(append(waiting[1] as string));
  await nextTick();
  const third = append(waiting[2] as string);

  // The third queued append starts the second transaction, with all three, while the first is open.
  await expect(Promise.all([...early, third])).resolves.toHaveLength(3);
  expect(transactions()).toBe(2);
  await expect(eventsPerTransaction(waiting)).resolves.toEqual([3]);
  release();
  await held;
});

test('with fewer appends queued, they wait for the transaction in flight and then go together', async () => {
  const { append, inside, release, transactions } = openStoreHoldingTheFirst();
  const waiting = [`gc-${randomUUID()}`, `gc-${randomUUID()}`];

  const held = append(`gc-${randomUUID()}`);
  await inside;
  const early = append(waiting[0] as string);
  await nextTick();
  const late = append(waiting[1] as string);
  // Nothing but the release lets them through: no second transaction has begun meanwhile.
  await expect(backendsInTransaction()).resolves.toBe(1);
  release();

  await Promise.all([held, early, late]);
  expect(transactions()).toBe(2);
  await expect(eventsPerTransaction(waiting)).resolves.toEqual([2]);
});

test('of two appends issued together with a shared event id, the first is written and the second conflicts', async () => {
  const store = openStore();
  const shared = newEvent('Shared');
  const [firstStream, secondStream] = [`gc-${randomUUID()}`, `gc-${randomUUID()}`];

  const [first, second] = await Promise.allSettled([
    store.appendToStream(firstStream, [shared], { expectedVersion: 'no_stream' }),
    store.appendToStream(secondStream, [newEvent(), shared], { expectedVersion: 'no_stream' }),
  ]);

  expect(first).toMatchObject({ status: 'fulfilled', value: { nextExpectedVersion: 1 } });
  expect(second.status === 'rejected' && second.reason).toBeInstanceOf(EventIdConflictError);
  await expect(store.readStream(secondStream)).resolves.toEqual([]);
});
