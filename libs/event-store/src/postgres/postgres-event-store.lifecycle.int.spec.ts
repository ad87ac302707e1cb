import { randomUUID } from 'node:crypto';
import { eventually } from '@canopy/async-testing';
import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { NewEvent } from '../port/event-store.js';
import { EventStoreUnavailableError } from '../port/errors.js';
import { RecordingSubscription } from '../testing/index.js';
import { migrateEventStore, PostgresEventStore } from './index.js';
import * as appendEventsJsonPayloads from './migrations/2026_12_13_09_00_00_append_events_json_payloads.js';

let database: TestDatabase;
let admin: pg.Pool;
const stores: PostgresEventStore[] = [];
const subscriptions: RecordingSubscription[] = [];

function openStore(): PostgresEventStore {
  const store = new PostgresEventStore({ connectionString: database.url });
  stores.push(store);
  return store;
}

function subscribe(
  store: PostgresEventStore,
  streamPrefix: string,
  onCaughtUp?: () => void,
): RecordingSubscription {
  const subscription = new RecordingSubscription(store, {
    streamPrefix,
    ...(onCaughtUp === undefined ? {} : { onCaughtUp }),
  });
  subscriptions.push(subscription);
  return subscription;
}

beforeAll(async () => {
  database = await createTestDatabase('event_store_lifecycle');
  await migrateEventStore(database.url);
  admin = new pg.Pool({ connectionString: database.url, max: 2 });
});

afterEach(async () => {
  await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await admin?.end();
  await database?.drop();
});

function newEvent(data: unknown = { kind: 'plain' }): NewEvent {
  return { id: randomUUID(), type: 'Happened', data };
}

describe('schema', () => {
  test('migrating again changes nothing, also through a kysely instance', async () => {
    await migrateEventStore(database.url);
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }),
    });
    try {
      await migrateEventStore(db);
    } finally {
      await db.destroy();
    }
    const { rows } = await admin.query<{ name: string }>(
      'SELECT name FROM event_store.kysely_migration ORDER BY name',
    );
    expect(rows.map((row) => row.name)).toEqual([
      '2026_11_29_23_50_00_create_events',
      '2026_12_05_07_00_00_create_append_events',
      '2026_12_10_09_00_00_plan_event_id_lookup_per_call',
      '2026_12_12_09_00_00_append_lookups_by_index',
      '2026_12_13_09_00_00_append_events_json_payloads',
    ]);
  });

  test('the events table has the documented columns, keys and index', async () => {
    const { rows: columns } = await admin.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, udt_name AS data_type FROM information_schema.columns
       WHERE table_schema = 'event_store' AND table_name = 'events' ORDER BY column_name`,
    );
    expect(Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]))).toEqual({
      data: 'jsonb',
      event_id: 'uuid',
      global_position: 'int8',
      metadata: 'jsonb',
      recorded_at: 'timestamptz',
      stream_id: 'text',
      stream_version: 'int8',
      transaction_id: 'xid8',
      type: 'text',
    });
    const { rows: indexes } = await admin.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = 'event_store' AND tablename = 'events'`,
    );
    const definitions = indexes.map((index) => index.indexdef.replace(/^.* USING btree /, ''));
    expect(definitions.sort()).toEqual(
      [
        '(event_id)',
        '(global_position)',
        '(stream_id, stream_version)',
        '(transaction_id, global_position)',
      ].sort(),
    );
  });

  test('ordinary event data is stored as queryable jsonb; what jsonb cannot hold still round-trips', async () => {
    const store = openStore();
    const streamId = `life-${randomUUID()}`;
    const plain = newEvent({ kind: 'plain', n: 7 });
    const withNul = newEvent({ kind: 'nul\u0000inside' });
    const lookingLikeTheWrapper = newEvent({ '$eventStore.base64Json': 'not base64 at all' });
    await store.appendToStream(streamId, [plain, withNul, lookingLikeTheWrapper], {
      expectedVersion: 'no_stream',
    });

    const { rows } = await admin.query<{ n: string | null }>(
      `SELECT data->>'n' AS n FROM event_store.events WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    );
    expect(rows.map((row) => row.n)).toEqual(['7', null, null]);
    expect((await store.readStream(streamId)).map((event) => event.data)).toEqual([
      plain.data,
      withNul.data,
      lookingLikeTheWrapper.data,
    ]);
  });
});

describe('plans', () => {
  // The function's plans are made on a connection's first call and kept for its life. Made while
  // the log is small, PostgreSQL would rather scan it than use an index, and nothing re-plans when
  // the table's statistics never change (autovacuum off): every later append would read the whole
  // log. The transaction's own statistics tell which way it read.
  test('append_events reads the log by its indexes only, even planned on a small log', async () => {
    const small = await createTestDatabase('event_store_plans');
    const client = new pg.Client({ connectionString: small.url });
    try {
      await migrateEventStore(small.url);
      await client.connect();
      await client.query(
        `INSERT INTO event_store.events (stream_id, stream_version, event_id, type, data)
         SELECT 'small-' || n, 1, gen_random_uuid(), 'Happened', '{}' FROM generate_series(1, 50) n`,
      );
      const [stored] = (
        await client.query<{ event_id: string }>(
          "SELECT event_id FROM event_store.events WHERE stream_id = 'small-1'",
        )
      ).rows;
      const fresh = randomUUID();
      await client.query('BEGIN');
      const { rows: outcomes } = await client.query<{ request_outcome: string }>(
        `SELECT request_outcome FROM event_store.append_events(
           $1::text[], $2::int8[], $3::int4[], $4::uuid[], $5::text[], $6::jsonb, $7::jsonb)`,
        [
          ['small-1', 'small-new'],
          [0, 0],
          [1, 1],
          [stored?.event_id, fresh],
          ['Happened', 'Happened'],
          '[{}, {}]',
          '[{}, {}]',
        ],
      );
      const { rows: reads } = await client.query<{ seq_scan: string; idx_scan: string }>(
        `SELECT seq_scan::text, idx_scan::text FROM pg_stat_xact_user_tables
         WHERE relid = 'event_store.events'::regclass`,
      );
      await client.query('COMMIT');
      expect(outcomes.map((row) => row.request_outcome)).toEqual(['repeated', 'appended']);
      expect(reads).toEqual([{ seq_scan: '0', idx_scan: expect.stringMatching(/^[1-9]\d*$/) }]);
    } finally {
      await client.end();
      await small.drop();
    }
  });
});

describe('append_events', () => {
  const call = (data: string, metadata: string) =>
    admin.query(
      `SELECT request_outcome FROM event_store.append_events(
         $1::text[], $2::int8[], $3::int4[], $4::uuid[], $5::text[], $6::jsonb, $7::jsonb)`,
      [
        [`json-${randomUUID()}`],
        [0],
        [2],
        [randomUUID(), randomUUID()],
        ['A', 'B'],
        data,
        metadata,
      ],
    );

  test('refuses data or metadata that is not a JSON array of one value per event', async () => {
    for (const [data, metadata] of [
      ['[{}]', '[{}, {}]'],
      ['[{}, {}]', '[{}, {}, {}]'],
      ['{"a": 1}', '[{}, {}]'],
      ['[{}, {}]', '"text"'],
    ] as const) {
      await expect(call(data, metadata)).rejects.toMatchObject({
        code: '22023',
        message: expect.stringContaining('one value per event id'),
      });
    }
    await expect(call('[{"n": 1}, [2]]', '[{}, {"m": true}]')).resolves.toMatchObject({
      rows: [{ request_outcome: 'appended' }],
    });
  });

  // Processes of the earlier release call it with text[] during a rolling upgrade.
  test('the earlier text[] signature appends and answers as the JSON one does', async () => {
    const streamId = `text-${randomUUID()}`;
    const ids = [randomUUID(), randomUUID()];
    const textCall = () =>
      admin.query<{ request_outcome: string; request_version: string }>(
        `SELECT request_outcome, request_version::text FROM event_store.append_events(
           $1::text[], $2::int8[], $3::int4[], $4::uuid[], $5::text[], $6::text[], $7::text[])`,
        [[streamId], [0], [2], ids, ['A', 'B'], ['{"n": 1}', '"two"'], ['{}', '{"m": 1}']],
      );
    await expect(textCall()).resolves.toMatchObject({
      rows: [{ request_outcome: 'appended', request_version: '2' }],
    });
    await expect(textCall()).resolves.toMatchObject({
      rows: [{ request_outcome: 'repeated', request_version: '2' }],
    });
    const { rows } = await admin.query(
      `SELECT stream_version::int, event_id, type, data, metadata FROM event_store.events
       WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    );
    expect(rows).toEqual([
      { stream_version: 1, event_id: ids[0], type: 'A', data: { n: 1 }, metadata: {} },
      { stream_version: 2, event_id: ids[1], type: 'B', data: 'two', metadata: { m: 1 } },
    ]);
  });
});

describe('rolling upgrade', () => {
  // A process of the earlier release prepared its text[] call before the migration ran; it keeps
  // appending through the same prepared statement afterwards, beside the new release's calls.
  test('a connection appending through the text[] call keeps appending across the migration', async () => {
    const upgraded = await createTestDatabase('event_store_upgrade');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const db = new Kysely<any>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: upgraded.url }) }),
    });
    const earlier = new pg.Client({ connectionString: upgraded.url });
    const store = new PostgresEventStore({ connectionString: upgraded.url });
    try {
      await migrateEventStore(db);
      await db.transaction().execute((tx) => appendEventsJsonPayloads.down(tx));
      await earlier.connect();
      const streamId = `earlier-${randomUUID()}`;
      const appendEarlier = (version: number) =>
        earlier.query<{ request_outcome: string; request_version: string }>({
          name: 'earlier_append_events',
          text: `SELECT request_outcome, request_version::text FROM event_store.append_events(
                   $1::text[], $2::int8[], $3::int4[], $4::uuid[], $5::text[], $6::text[], $7::text[])`,
          values: [
            [streamId],
            [version],
            [1],
            [randomUUID()],
            ['A'],
            [`{"v": ${version}}`],
            ['{}'],
          ],
        });
      await expect(appendEarlier(0)).resolves.toMatchObject({
        rows: [{ request_outcome: 'appended', request_version: '1' }],
      });

      await db.transaction().execute((tx) => appendEventsJsonPayloads.up(tx));

      await expect(appendEarlier(1)).resolves.toMatchObject({
        rows: [{ request_outcome: 'appended', request_version: '2' }],
      });
      await store.appendToStream(streamId, [{ id: randomUUID(), type: 'B', data: { v: 2 } }], {
        expectedVersion: 2,
      });
      await expect(appendEarlier(3)).resolves.toMatchObject({
        rows: [{ request_outcome: 'appended', request_version: '4' }],
      });
      const events = await store.readStream(streamId);
      expect(events.map((event) => [event.type, event.data])).toEqual([
        ['A', { v: 0 }],
        ['A', { v: 1 }],
        ['B', { v: 2 }],
        ['A', { v: 3 }],
      ]);
    } finally {
      await store.close();
      await earlier.end();
      await db.destroy();
      await upgraded.drop();
    }
  });
});

describe('checkpoints', () => {
  test('a checkpoint is "<transaction id>:<global position>"', async () => {
    const store = openStore();
    const streamId = `life-${randomUUID()}`;
    await store.appendToStream(streamId, [newEvent()], { expectedVersion: 'no_stream' });

    const [event] = await store.readStream(streamId);
    const { rows } = await admin.query<{ checkpoint: string }>(
      `SELECT transaction_id::text || ':' || global_position AS checkpoint
       FROM event_store.events WHERE stream_id = $1`,
      [streamId],
    );
    expect(event?.checkpoint).toBe(rows[0]?.checkpoint);
    expect(event?.checkpoint).toBe(`${event?.checkpoint.split(':')[0]}:${event?.globalPosition}`);
  });

  test('a checkpoint of another store is refused', async () => {
    const iterator = openStore().subscribeToAll({ from: '12345' })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toBeInstanceOf(RangeError);
  });
});

describe('stream prefix', () => {
  test('windows of other streams move the subscription on without handing over anything', async () => {
    const store = openStore();
    const prefix = `window${randomUUID().slice(0, 8)}-`;
    for (let index = 0; index < 9; index += 1) {
      await store.appendToStream(`other${prefix}${index}`, [newEvent()], {
        expectedVersion: 'any',
      });
    }
    const wanted = [newEvent(), newEvent(), newEvent()];
    await store.appendToStream(`${prefix}1`, wanted, { expectedVersion: 'no_stream' });

    const subscription = new RecordingSubscription(store, { streamPrefix: prefix, batchSize: 2 });
    subscriptions.push(subscription);
    const received = await subscription.waitForIds(wanted.map((event) => event.id));

    expect(received.map((event) => event.id)).toEqual(wanted.map((event) => event.id));
    expect(subscription.batchSizes.every((size) => size >= 1 && size <= 2)).toBe(true);
  });
});

describe('live tail', () => {
  test('events committed behind a foreign open transaction are held back, then delivered', async () => {
    const store = openStore();
    const prefix = `held${randomUUID().slice(0, 8)}-`;
    const subscription = subscribe(store, prefix);
    const foreign = new pg.Client({ connectionString: database.url });
    await foreign.connect();
    try {
      await foreign.query('BEGIN');
      await foreign.query('SELECT pg_current_xact_id()');
      const event = newEvent();
      await store.appendToStream(`${prefix}1`, [event], { expectedVersion: 'no_stream' });

      // Committed, but an older transaction is still open: nothing may be read past it yet.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(subscription.events).toEqual([]);

      // The foreign transaction does not notify: the subscription's follow-up reads find the event.
      await foreign.query('COMMIT');
      await subscription.waitForIds([event.id]);
    } finally {
      await foreign.end();
    }
  });

  test('a subscription says it has caught up only once it has handed out what was committed before it', async () => {
    const store = openStore();
    const prefix = `caught${randomUUID().slice(0, 8)}-`;
    const foreign = new pg.Client({ connectionString: database.url });
    await foreign.connect();
    try {
      // An older transaction still open holds the fence back: the events below are committed but
      // not readable yet, and the first window of the catch-up comes back empty.
      await foreign.query('BEGIN');
      await foreign.query('SELECT pg_current_xact_id()');
      const stored = Array.from({ length: 30 }, () => newEvent());
      await store.appendToStream(`${prefix}history`, stored, { expectedVersion: 'no_stream' });
      let deliveredWhenCaughtUp: number | undefined;
      const {
        rows: [started],
      } = await admin.query<{ at: Date }>('SELECT clock_timestamp() AS at');
      const subscription: RecordingSubscription = subscribe(store, prefix, () => {
        deliveredWhenCaughtUp = subscription.events.length;
      });
      // Wait until its first window has been read (and came back empty) while the fence holds: a
      // connection's last statement was that read, or the live tail's that follows it.
      await eventually(async () => {
        const { rows } = await admin.query<{ reads: number }>(
          `SELECT count(*)::int AS reads FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle' AND query_start > $1
              AND (query LIKE '%starts_with(e.stream_id%' OR query LIKE '%held_back%')`,
          [started?.at],
        );
        expect(rows[0]?.reads).toBeGreaterThan(0);
      });
      expect(deliveredWhenCaughtUp).toBeUndefined();

      await foreign.query('COMMIT');
      await subscription.waitFor('the caught-up signal', () => deliveredWhenCaughtUp !== undefined);
      expect(deliveredWhenCaughtUp).toBe(stored.length);
    } finally {
      await foreign.end();
    }
  });

  test('caught-up subscriptions of one store share its reads of the tail', async () => {
    const pool = new pg.Pool({ connectionString: database.url });
    const readsByName = new Map<string, number>();
    const query = pool.query.bind(pool);
    pool.query = ((config: unknown, ...rest: unknown[]) => {
      const name = (config as { name?: unknown }).name;
      if (typeof name === 'string') readsByName.set(name, (readsByName.get(name) ?? 0) + 1);
      return (query as (...args: unknown[]) => unknown)(config, ...rest);
    }) as typeof pool.query;
    const store = new PostgresEventStore({ pool });
    try {
      const prefix = `shared${randomUUID().slice(0, 8)}-`;
      const followers = ['a-', 'b-', 'c-'].map((kind) => subscribe(store, `${prefix}${kind}`));
      for (const [index, kind] of ['a-', 'b-', 'c-'].entries()) {
        const event = newEvent();
        await store.appendToStream(`${prefix}${kind}0`, [event], { expectedVersion: 'no_stream' });
        await followers[index]?.waitForIds([event.id]);
      }
      const ownReads = readsByName.get('event_store.read_all_with_prefix');

      for (let round = 1; round <= 5; round += 1) {
        const events = ['a-', 'b-', 'c-'].map(() => newEvent());
        await Promise.all(
          ['a-', 'b-', 'c-'].map((kind, index) =>
            store.appendToStream(`${prefix}${kind}0`, [events[index] as NewEvent], {
              expectedVersion: round,
            }),
          ),
        );
        await Promise.all(
          followers.map((follower, index) => follower.waitForIds([events[index]?.id ?? ''])),
        );
      }

      // Once caught up, none of them read on its own again: the store's tail reads for all.
      expect(readsByName.get('event_store.read_all_with_prefix')).toBe(ownReads);
      expect(readsByName.get('event_store.read_tail')).toBeGreaterThan(0);
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    } finally {
      await store.close();
      await pool.end();
    }
  });

  test('the LISTEN connection is replaced when it drops, and events keep arriving', async () => {
    const listeners = async (): Promise<number[]> => {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN event_store'`,
      );
      return rows.map((row) => row.pid);
    };
    const othersListening = new Set(await listeners());
    const store = openStore();
    const prefix = `listen${randomUUID().slice(0, 8)}-`;
    const subscription = subscribe(store, prefix);
    const first = newEvent();
    await store.appendToStream(`${prefix}1`, [first], { expectedVersion: 'no_stream' });
    await subscription.waitForIds([first.id]);
    const ours = async () => (await listeners()).filter((pid) => !othersListening.has(pid));

    // The first event may have come from the subscription's own catch-up read, before the tail
    // it then joins has its LISTEN connection in place: wait for that connection.
    let before: number[] = [];
    await eventually(async () => {
      before = await ours();
      expect(before).toHaveLength(1);
    }, 20_000);
    await admin.query('SELECT pg_terminate_backend($1)', [before[0]]);
    // A new LISTEN connection opens in place of the terminated one.
    await eventually(async () => {
      const now = await ours();
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(before[0]);
    }, 20_000);

    const second = newEvent();
    await store.appendToStream(`${prefix}1`, [second], { expectedVersion: 1 });
    await subscription.waitForIds([second.id]);
  });
});

describe('closing and failures', () => {
  test('close() lets queued appends finish, ends subscriptions and refuses further use', async () => {
    const store = openStore();
    const prefix = `close${randomUUID().slice(0, 8)}-`;
    await store.appendToStream(`${prefix}0`, [newEvent()], { expectedVersion: 'no_stream' });
    const iterator = store.subscribeToAll({ streamPrefix: prefix })[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const waiting = iterator.next();

    const appends = Array.from({ length: 5 }, (_, index) =>
      store.appendToStream(`${prefix}${index + 1}`, [newEvent()], { expectedVersion: 'no_stream' }),
    );
    await store.close();

    await expect(Promise.all(appends)).resolves.toHaveLength(5);
    await expect(waiting).resolves.toMatchObject({ done: true });
    await expect(
      store.appendToStream(`${prefix}9`, [newEvent()], { expectedVersion: 'any' }),
    ).rejects.toBeInstanceOf(EventStoreUnavailableError);
    const { rows } = await admin.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM event_store.events WHERE starts_with(stream_id, $1)',
      [prefix],
    );
    expect(rows[0]?.count).toBe(6);
  });

  test('a borrowed pool is left open by close()', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 3 });
    try {
      const store = new PostgresEventStore({ pool });
      await store.appendToStream(`life-${randomUUID()}`, [newEvent()], { expectedVersion: 'any' });
      await store.close();
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await pool.end();
    }
  });

  test('an unreachable server is reported as EventStoreUnavailableError', async () => {
    const store = new PostgresEventStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/nowhere',
    });
    try {
      await expect(
        store.appendToStream(`life-${randomUUID()}`, [newEvent()], { expectedVersion: 'any' }),
      ).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.readStream('anything')).rejects.toBeInstanceOf(EventStoreUnavailableError);
      const iterator = store.subscribeToAll()[Symbol.asyncIterator]();
      await expect(iterator.next()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      await store.close();
    }
  });
});
