import { randomUUID } from 'node:crypto';
import { eventually } from '@canopy/async-testing';
import { migrateLeadership, PostgresLeases } from '@canopy/leadership';
import { untilLeaseExpired } from '@canopy/leadership/testing';
import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import pg from 'pg';
import type { NewEvent } from '../port/event-store.js';
import { FencedAppendError } from '../port/errors.js';
import { migrateEventStore, PostgresEventStore } from './index.js';

// An append fenced by a lease is written while the lease is held at its epoch, or not at all, and
// no other holder can take the lease between the check and the commit.
//
// The last test holds a writing transaction open for a few seconds, which holds back the event
// store subscriptions of other tests on the same server meanwhile (the read fence is server-wide):
// tests wait for what subscriptions deliver with deadlines well beyond that.

let database: TestDatabase;
let pool: pg.Pool;
let leases: PostgresLeases;
let store: PostgresEventStore;
/** While set, every append transaction that wrote events waits for it before committing. */
let gate: Promise<void> | undefined;
let transactionsAtGate = 0;

beforeAll(async () => {
  database = await createTestDatabase('fenced_append');
  const { url } = database;
  await migrateEventStore(url);
  await migrateLeadership(url);
  pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  leases = new PostgresLeases(pool);
  store = new PostgresEventStore({
    connectionString: url,
    hooks: {
      beforeCommit: async () => {
        if (gate === undefined) return;
        transactionsAtGate += 1;
        await gate;
      },
    },
  });
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await database?.drop();
});

function newEvent(): NewEvent {
  return { id: randomUUID(), type: 'Happened', data: {} };
}

async function streamLength(streamId: string): Promise<number> {
  return (await store.readStream(streamId)).length;
}

function untilExpired(name: string): Promise<void> {
  return untilLeaseExpired(pool, leases, name);
}

/** Ends the lease at once, as the database sees it (the holder gave it up or it ran out). */
async function expire(name: string): Promise<void> {
  await pool.query('UPDATE leadership.leases SET expires_at = clock_timestamp() WHERE name = $1', [
    name,
  ]);
}

test('an append fenced by a held lease is written', async () => {
  const epoch = await leases.acquire('held', 'a', 60_000);
  expect(epoch).toBeDefined();
  const streamId = `fenced-${randomUUID()}`;
  await store.appendToStream(streamId, [newEvent()], {
    expectedVersion: 'no_stream',
    fence: { lease: 'held', epoch: epoch as number },
  });
  expect(await streamLength(streamId)).toBe(1);
});

test('an append fenced by an expired lease, another epoch or an unknown lease writes nothing', async () => {
  const epoch = (await leases.acquire('moved', 'a', 60_000)) as number;
  await expire('moved');
  const streamId = `fenced-${randomUUID()}`;
  const expired = store.appendToStream(streamId, [newEvent()], {
    expectedVersion: 'no_stream',
    fence: { lease: 'moved', epoch },
  });
  await expect(expired).rejects.toBeInstanceOf(FencedAppendError);
  const next = (await leases.acquire('moved', 'b', 60_000)) as number;
  expect(next).toBe(epoch + 1);
  await expect(
    store.appendToStream(streamId, [newEvent()], {
      expectedVersion: 'no_stream',
      fence: { lease: 'moved', epoch },
    }),
  ).rejects.toThrow(/lease moved is no longer held at epoch/);
  await expect(
    store.appendToStream(streamId, [newEvent()], {
      expectedVersion: 'no_stream',
      fence: { lease: 'nobody-holds-this', epoch: 1 },
    }),
  ).rejects.toBeInstanceOf(FencedAppendError);
  expect(await streamLength(streamId)).toBe(0);
});

test('among appends queued together, a failed fence refuses only those it fences', async () => {
  const epoch = (await leases.acquire('group', 'a', 60_000)) as number;
  await expire('group');
  const fenced = Array.from({ length: 5 }, () => `fenced-${randomUUID()}`);
  const free = Array.from({ length: 5 }, () => `free-${randomUUID()}`);
  // Started in the same tick: they queue for the same group commit.
  const outcomes = await Promise.allSettled([
    ...fenced.map((streamId) =>
      store.appendToStream(streamId, [newEvent()], {
        expectedVersion: 'no_stream',
        fence: { lease: 'group', epoch },
      }),
    ),
    ...free.map((streamId) =>
      store.appendToStream(streamId, [newEvent()], { expectedVersion: 'no_stream' }),
    ),
  ]);
  expect(outcomes.slice(0, 5).map((outcome) => outcome.status)).toEqual(Array(5).fill('rejected'));
  expect(outcomes.slice(5).map((outcome) => outcome.status)).toEqual(Array(5).fill('fulfilled'));
  for (const streamId of fenced) expect(await streamLength(streamId)).toBe(0);
  for (const streamId of free) expect(await streamLength(streamId)).toBe(1);
});

test('a new holder cannot take the lease while a fenced append is still committing', async () => {
  // A lease short enough to run out while the append waits to commit, long enough for the append
  // to check it first however busy the machine is.
  const ttlMs = 5_000;
  const epoch = (await leases.acquire('race', 'old', ttlMs)) as number;
  const streamId = `fenced-${randomUUID()}`;
  let open!: () => void;
  gate = new Promise<void>((resolve) => (open = resolve));
  transactionsAtGate = 0;
  const appending = store.appendToStream(streamId, [newEvent()], {
    expectedVersion: 'no_stream',
    fence: { lease: 'race', epoch },
  });
  try {
    // The append has checked its fence and written, and waits to commit.
    await eventually(() => expect(transactionsAtGate).toBe(1), ttlMs);
    // Meanwhile the lease runs out (by the database's clock) and another replica tries to take
    // it: it must wait for the fenced transaction, which holds the lease's row.
    await untilExpired('race');
    const taking = leases.acquire('race', 'new', 60_000);
    await eventually(async () => {
      const { rows } = await pool.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'
            AND query LIKE '%INSERT INTO leadership.leases%'`,
      );
      expect(rows[0]?.waiting).toBe(1);
    });
    open();
    await expect(appending).resolves.toMatchObject({ nextExpectedVersion: 1 });
    expect(await taking).toBe(epoch + 1);
  } finally {
    open();
    gate = undefined;
  }
  // From the new epoch on, the old holder's appends are refused.
  await expect(
    store.appendToStream(streamId, [newEvent()], {
      expectedVersion: 1,
      fence: { lease: 'race', epoch },
    }),
  ).rejects.toBeInstanceOf(FencedAppendError);
  expect(await streamLength(streamId)).toBe(1);
});
