// Event store benchmark: `npm run bench:eventstore` (builds, then runs this file from dist/).
// Prints figures, asserts nothing. Configuration: DATABASE_URL (the server to create a scratch
// database on, dropped at the end), N from `--events N` or BENCH_EVENTS (default 200 000).
import { randomBytes, randomUUID } from 'node:crypto';
import { markdownTable } from 'markdown-table';
import pg from 'pg';
import type { NewEvent } from '../port/event-store.js';
import { migrateEventStore, PostgresEventStore } from '../postgres/index.js';

interface BenchConfig {
  readonly serverUrl: string;
  readonly events: number;
  readonly sequentialEvents: number;
  readonly writers: number;
  readonly eventsPerStream: number;
}

interface Measurement {
  readonly label: string;
  readonly events: number;
  readonly seconds: number;
  readonly target?: string;
  readonly ratioTarget?: number;
  readonly rateTarget?: number;
  readonly againstReference?: boolean;
}

/** One event as the concurrent phase appends it and the reference inserts it. */
interface BenchRow {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly event: NewEvent;
  readonly dataJson: string;
  readonly metadataJson: string;
}

function readConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BenchConfig {
  const flagIndex = argv.indexOf('--events');
  const requested = flagIndex >= 0 ? argv[flagIndex + 1] : env['BENCH_EVENTS'];
  const events = requested === undefined ? 200_000 : Number(requested);
  if (!Number.isSafeInteger(events) || events < 1000) {
    throw new Error(`the number of events must be an integer ≥ 1000, got ${requested}`);
  }
  return {
    serverUrl: env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    events,
    // One append per round trip to the server: a tenth of N (at most 20 000) shows the rate
    // without making the run last many minutes.
    sequentialEvents: Math.min(Math.ceil(events / 10), 20_000),
    writers: 64,
    eventsPerStream: 10,
  };
}

// A TaskIssued-like payload of about 300 bytes of JSON.
function taskIssued(index: number): unknown {
  return {
    account: 'acct-7f3a9c21e4b8',
    functionId: `fn-${(index % 97).toString(36)}-thumbnail`,
    request: {
      query: `size=${index % 512}&format=webp&quality=80`,
      contentType: 'application/json',
      body: randomBytes(18).toString('base64'),
    },
    requirements: { cpuCount: 2, memSize: 2048, networkLatency: 50, privileged: false },
    timeout: 300,
    issuedAt: new Date(1_764_460_800_000 + index * 1000).toISOString(),
  };
}

function newEvent(index: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'TaskIssued',
    data: taskIssued(index),
    metadata: { correlationId: randomUUID(), schemaVersion: 1 },
  };
}

/** Streams of `eventsPerStream` events, in the order one writer appends them. */
function plannedRows(count: number, eventsPerStream: number): BenchRow[] {
  const rows: BenchRow[] = [];
  let streamId = '';
  for (let index = 0; index < count; index += 1) {
    if (index % eventsPerStream === 0) streamId = `task-${randomUUID()}`;
    const event = newEvent(index);
    rows.push({
      streamId,
      streamVersion: (index % eventsPerStream) + 1,
      event,
      dataJson: JSON.stringify(event.data),
      metadataJson: JSON.stringify(event.metadata),
    });
  }
  return rows;
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function sequentialAppend(store: PostgresEventStore, rows: readonly BenchRow[]) {
  for (const row of rows) {
    await store.appendToStream(row.streamId, [row.event], {
      expectedVersion: row.streamVersion - 1,
    });
  }
}

/** Each writer owns whole streams and appends one event per call, as a command handler does. */
async function concurrentAppend(
  store: PostgresEventStore,
  rows: readonly BenchRow[],
  writers: number,
  eventsPerStream: number,
) {
  const streams = rows.length / eventsPerStream;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let stream = writer; stream < streams; stream += writers) {
        for (let offset = 0; offset < eventsPerStream; offset += 1) {
          const row = rows[stream * eventsPerStream + offset];
          if (row === undefined) continue;
          await store.appendToStream(row.streamId, [row.event], {
            expectedVersion: row.streamVersion - 1,
          });
        }
      }
    }),
  );
}

async function referenceInserts(
  client: pg.Client,
  table: string,
  rows: readonly BenchRow[],
  batchSize: number,
) {
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    const values: unknown[] = [];
    const tuples = batch.map((row, index) => {
      values.push(
        row.streamId,
        row.streamVersion,
        row.event.id,
        row.event.type,
        row.dataJson,
        row.metadataJson,
      );
      const p = index * 6;
      return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}::jsonb, $${p + 6}::jsonb)`;
    });
    await client.query(
      `INSERT INTO ${table} (stream_id, stream_version, event_id, type, data, metadata)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }
}

async function catchUp(store: PostgresEventStore, total: number): Promise<void> {
  const controller = new AbortController();
  let received = 0;
  for await (const batch of store.subscribeToAll({ signal: controller.signal })) {
    received += batch.length;
    if (received >= total) controller.abort();
  }
}

/** Milliseconds from the start of an append until a live subscriber has the event. */
async function liveLatencies(store: PostgresEventStore, samples: number): Promise<number[]> {
  const prefix = `live-${randomUUID()}-`;
  const controller = new AbortController();
  const arrivals = new Map<string, () => void>();
  const subscription = (async () => {
    for await (const batch of store.subscribeToAll({
      streamPrefix: prefix,
      signal: controller.signal,
    })) {
      for (const event of batch) arrivals.get(event.id)?.();
    }
  })();
  const latencies: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    const event = newEvent(index);
    const arrived = new Promise<void>((resolve) => arrivals.set(event.id, resolve));
    const started = performance.now();
    await store.appendToStream(`${prefix}${index % 10}`, [event], { expectedVersion: 'any' });
    await arrived;
    latencies.push(performance.now() - started);
    // Let the subscriber settle into waiting, as it would between real appends.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  controller.abort();
  await subscription;
  return latencies.sort((a, b) => a - b);
}

interface FollowingFigures {
  readonly events: number;
  readonly seconds: number;
  readonly transactions: number;
  /** Queries the subscriptions issued while the events were appended and delivered. */
  readonly reads: number;
  /** From the end of the appends until every subscription had every event. */
  readonly deliveredAfterMs: number;
}

/** A pool that counts the queries made through it (the store reads through pool.query). */
function countingPool(connectionString: string): { pool: pg.Pool; queries: () => number } {
  const pool = new pg.Pool({ connectionString });
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  let queries = 0;
  pool.query = ((...args: unknown[]) => {
    queries += 1;
    return query(...args);
  }) as typeof pool.query;
  return { pool, queries: () => queries };
}

/**
 * Concurrent append while three prefix subscriptions of the same store follow, as the scheduler
 * follows its task, node and function streams: how many reads the live subscriptions cost.
 */
async function appendWhileFollowing(
  databaseUrl: string,
  direct: pg.Client,
  config: BenchConfig,
): Promise<FollowingFigures> {
  const run = `follow${randomBytes(4).toString('hex')}-`;
  const prefixes = ['task-', 'node-', 'function-'].map((kind) => `${run}${kind}`);
  const rows = plannedRows(config.sequentialEvents, config.eventsPerStream).map((row, index) => ({
    ...row,
    streamId: `${prefixes[Math.floor(index / config.eventsPerStream) % prefixes.length]}${row.streamId}`,
  }));
  const { pool, queries } = countingPool(databaseUrl);
  const store = new PostgresEventStore({ pool });
  const controller = new AbortController();
  const received = prefixes.map(() => 0);
  const changed = new Set<() => void>();
  const following = prefixes.map(async (prefix, index) => {
    for await (const batch of store.subscribeToAll({
      streamPrefix: prefix,
      signal: controller.signal,
    })) {
      received[index] = (received[index] ?? 0) + batch.length;
      for (const listener of changed) listener();
    }
  });
  const receivedAll = async (expected: readonly number[]) => {
    while (expected.some((count, index) => (received[index] ?? 0) < count)) {
      await new Promise<void>((resolve) => {
        const listener = () => {
          changed.delete(listener);
          resolve();
        };
        changed.add(listener);
      });
    }
  };
  try {
    // Each subscription first passes over the whole log, then takes its sentinel live.
    for (const prefix of prefixes) {
      await store.appendToStream(`${prefix}sentinel`, [newEvent(0)], {
        expectedVersion: 'no_stream',
      });
    }
    await receivedAll(prefixes.map(() => 1));
    const queriesBefore = queries();
    const seconds = await timed(() =>
      concurrentAppend(store, rows, config.writers, config.eventsPerStream),
    );
    const appended = performance.now();
    await receivedAll(
      prefixes.map((prefix) => 1 + rows.filter((row) => row.streamId.startsWith(prefix)).length),
    );
    const deliveredAfterMs = performance.now() - appended;
    const reads = queries() - queriesBefore;
    const { rows: counted } = await direct.query<{ n: string }>(
      `SELECT count(DISTINCT transaction_id) AS n FROM event_store.events
       WHERE starts_with(stream_id, $1) AND stream_id NOT LIKE '%sentinel'`,
      [run],
    );
    return {
      events: rows.length,
      seconds,
      transactions: Number(counted[0]?.n ?? 0),
      reads,
      deliveredAfterMs,
    };
  } finally {
    controller.abort();
    await Promise.allSettled(following);
    await store.close();
    await pool.end();
  }
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN;
}

function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function printTable(measurements: readonly Measurement[], reference: Measurement): void {
  const referenceRate = reference.events / reference.seconds;
  const header = ['measurement', 'events', 'seconds', 'events/s', '÷ reference', 'target', 'met'];
  const lines = measurements.map((m) => {
    const rate = m.events / m.seconds;
    const ratio = rate / referenceRate;
    const met =
      m.ratioTarget !== undefined
        ? ratio >= m.ratioTarget
        : m.rateTarget !== undefined
          ? rate >= m.rateTarget
          : undefined;
    return [
      m.label,
      m.events.toLocaleString('en-US'),
      m.seconds.toFixed(2),
      formatRate(rate),
      m.againstReference === false ? '' : `${ratio.toFixed(2)}×`,
      m.target ?? '',
      met === undefined ? '' : met ? 'yes' : 'NO',
    ];
  });
  console.log(markdownTable([header, ...lines]));
}

interface AppendFigures {
  readonly sequentialEvents: number;
  readonly sequentialSeconds: number;
  readonly concurrentEvents: number;
  readonly concurrentSeconds: number;
  readonly transactions: number;
  readonly achievedBatch: number;
  readonly referenceSeconds: number;
  readonly reference1000Seconds: number;
  readonly dataBytesPerEvent: number;
  readonly metadataBytesPerEvent: number;
  readonly latencies: readonly number[];
  readonly following: FollowingFigures;
}

// The planned rows live only in here: by the time the catch-up runs they are garbage, and the
// reader does not pay for collecting a heap full of them.
async function measureAppends(
  config: BenchConfig,
  databaseUrl: string,
  direct: pg.Client,
): Promise<AppendFigures> {
  progress('preparing events');
  const sequentialRows = plannedRows(config.sequentialEvents, config.eventsPerStream);
  const rows = plannedRows(config.events, config.eventsPerStream);
  const dataBytes = rows.reduce((sum, row) => sum + Buffer.byteLength(row.dataJson), 0);
  const metadataBytes = rows.reduce((sum, row) => sum + Buffer.byteLength(row.metadataJson), 0);

  const store = new PostgresEventStore({ connectionString: databaseUrl });
  progress(`1. sequential append of ${sequentialRows.length} events`);
  const sequentialSeconds = await timed(() => sequentialAppend(store, sequentialRows));

  // Group commit and the references take turns on slices of the rows, so that a burst of load
  // from elsewhere on the machine falls on both sides of the ratio alike.
  const rounds = 10;
  const slice = Math.ceil(rows.length / rounds / config.eventsPerStream) * config.eventsPerStream;
  let concurrentSeconds = 0;
  let referenceSeconds = 0;
  let reference1000Seconds = 0;
  let transactions = 0;
  for (let start = 0, round = 1; start < rows.length; start += slice, round += 1) {
    const part = rows.slice(start, start + slice);
    progress(`round ${round}/${rounds}: 2. concurrent append of ${part.length} events`);
    concurrentSeconds += await timed(() =>
      concurrentAppend(store, part, config.writers, config.eventsPerStream),
    );
    const { rows: counted } = await direct.query<{ n: string }>(
      `SELECT count(DISTINCT transaction_id) AS n FROM event_store.events
       WHERE stream_id = ANY ($1)`,
      [[...new Set(part.map((row) => row.streamId))]],
    );
    const partTransactions = Number(counted[0]?.n ?? 1);
    transactions += partTransactions;
    const batch = Math.max(1, Math.round(part.length / partTransactions));
    progress(`round ${round}/${rounds}: 3. reference INSERTs of ${batch} rows, then 1000 rows`);
    referenceSeconds += await timed(() =>
      referenceInserts(direct, 'bench_reference.events', part, batch),
    );
    reference1000Seconds += await timed(() =>
      referenceInserts(direct, 'bench_reference.events_1000', part, 1000),
    );
  }
  const achievedBatch = Math.max(1, Math.round(rows.length / transactions));

  progress('live latency');
  const latencies = await liveLatencies(store, 200);
  await store.close();
  progress(`5. concurrent append of ${config.sequentialEvents} events, 3 subscriptions following`);
  const following = await appendWhileFollowing(databaseUrl, direct, config);
  return {
    sequentialEvents: sequentialRows.length,
    sequentialSeconds,
    concurrentEvents: rows.length,
    concurrentSeconds,
    transactions,
    achievedBatch,
    referenceSeconds,
    reference1000Seconds,
    dataBytesPerEvent: Math.round(dataBytes / rows.length),
    metadataBytesPerEvent: Math.round(metadataBytes / rows.length),
    latencies,
    following,
  };
}

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2), process.env);
  const databaseName = `canopy_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = new URL(config.serverUrl);
  databaseUrl.pathname = `/${databaseName}`;
  const admin = new pg.Client({ connectionString: config.serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${databaseName}"`);
  progress(`scratch database ${databaseName}`);
  try {
    await migrateEventStore(databaseUrl.toString());
    const direct = new pg.Client({ connectionString: databaseUrl.toString() });
    await direct.connect();
    const { rows: version } = await direct.query<{ v: string }>(
      "SELECT current_setting('server_version') AS v",
    );
    await direct.query(
      `CREATE SCHEMA bench_reference;
       CREATE TABLE bench_reference.events (LIKE event_store.events INCLUDING ALL);
       CREATE TABLE bench_reference.events_1000 (LIKE event_store.events INCLUDING ALL);`,
    );

    const appends = await measureAppends(config, databaseUrl.toString(), direct);

    const { rows: counted } = await direct.query<{ n: string }>(
      'SELECT count(*) AS n FROM event_store.events',
    );
    const total = Number(counted[0]?.n ?? 0);
    const catchUpSeconds: number[] = [];
    for (const pass of [1, 2]) {
      progress(`4. catch-up over ${total} events, pass ${pass}`);
      const reader = new PostgresEventStore({ connectionString: databaseUrl.toString() });
      catchUpSeconds.push(await timed(() => catchUp(reader, total)));
      await reader.close();
    }
    await direct.end();

    const reference: Measurement = {
      label: `3. reference: plain multi-row INSERT, group commit's average batch per round (overall ${appends.achievedBatch} rows/statement), 1 connection`,
      events: appends.concurrentEvents,
      seconds: appends.referenceSeconds,
    };
    console.log(
      `\nCanopy event store benchmark: PostgreSQL ${version[0]?.v ?? '?'}, ` +
        `N = ${config.events.toLocaleString('en-US')}, payload ${appends.dataBytesPerEvent} B data + ` +
        `${appends.metadataBytesPerEvent} B metadata (JSON) per event\n`,
    );
    printTable(
      [
        {
          label: '1. sequential append: one stream at a time, one 1-event append call at a time',
          events: appends.sequentialEvents,
          seconds: appends.sequentialSeconds,
        },
        {
          label: `2. concurrent append: ${config.writers} writers, 1 event/call, group commit (${appends.transactions} transactions, avg ${appends.achievedBatch} events each)`,
          events: appends.concurrentEvents,
          seconds: appends.concurrentSeconds,
          target: '≥ 0.5× reference',
          ratioTarget: 0.5,
        },
        reference,
        {
          label: '3b. for information: plain multi-row INSERT, 1000 rows/statement, 1 connection',
          events: appends.concurrentEvents,
          seconds: appends.reference1000Seconds,
        },
        {
          label: '4. catch-up: one subscriber reading every event from the start (first pass)',
          events: total,
          seconds: catchUpSeconds[0] ?? NaN,
          target: '≥ 100,000 events/s',
          rateTarget: 100_000,
        },
        {
          label: '4b. catch-up again, new store in the same (JIT-warm) process',
          events: total,
          seconds: catchUpSeconds[1] ?? NaN,
          target: '≥ 100,000 events/s',
          rateTarget: 100_000,
        },
      ],
      reference,
    );
    const against1000 = appends.reference1000Seconds / appends.concurrentSeconds;
    console.log(
      `\nReference for the ratios: plain INSERTs of the batch size group commit achieved (its ` +
        `average, ${appends.achievedBatch} rows). Against 1000-row INSERTs instead, concurrent ` +
        `append is ${against1000.toFixed(2)}×. Phases 2, 3 and 3b take turns in 10 rounds over ` +
        `slices of the N events. Sequential append runs on N/10 events (at most 20,000).`,
    );
    const { latencies } = appends;
    console.log(
      `Live tail: append → delivered to a waiting subscriber, ${latencies.length} samples: ` +
        `p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms, ` +
        `max ${percentile(latencies, 1).toFixed(1)} ms`,
    );
    const { following } = appends;
    console.log(
      `Live subscriptions under write load: 3 prefix subscriptions of one store following ` +
        `${following.events.toLocaleString('en-US')} events appended by ${config.writers} writers ` +
        `(${formatRate(following.events / following.seconds)} events/s, ` +
        `${following.transactions} transactions): ${following.reads} reads, ` +
        `${(following.reads / Math.max(1, following.transactions)).toFixed(2)} per transaction; ` +
        `all delivered ${following.deliveredAfterMs.toFixed(0)} ms after the last append`,
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.end();
    progress(`dropped ${databaseName}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
