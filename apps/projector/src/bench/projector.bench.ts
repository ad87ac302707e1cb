// Projector benchmark: `npm run bench:projector` (builds, then runs this file from dist/). Prints
// figures, asserts only that the projection ended where it must. Configuration: DATABASE_URL (the
// server to create a scratch database on, dropped at the end; default the local one),
// PROJECTOR_BATCH_SIZE and PROJECTOR_LINGER_MS (the projector's defaults unless set), and flags or variables:
//   --tasks N         BENCH_TASKS         task lifecycles of 4 events in the store (default 20 000)
//   --rounds N        BENCH_ROUNDS        projections from 0, each followed by the reference (2)
//   --rate N          BENCH_RATE          tasks/s appended in the live phase (default 300)
//   --live-seconds N  BENCH_LIVE_SECONDS  length of the live phase, 0 to skip it (default 20)
//
// 1. From 0: the live projector (the app's loop and projections, on a pool of its own) projects the
//    whole store into empty read models; events/s from its start to the commit of the last event.
// 2. Reference, in the same run: the rows the projection ended with (api.tasks, api.task_attempts,
//    api.task_results, which are most of what it writes) inserted by plain multi-row INSERTs into
//    copies of those tables (same columns, constraints and indexes), 500 tasks per transaction
//    whatever the projector's batch size, so that ratios compare across batch sizes. It is what
//    writing the outcome costs without reading, parsing or folding anything; the ratio
//    projector ÷ reference says how close the projector comes to it.
//    The two take turns, round after round, so that load from elsewhere on the machine falls on
//    both sides of the ratio alike.
// 3. Live: another process appends task lifecycles at a fixed rate while the projector follows;
//    lag per batch (commit time − recording time of its last event) and CPU per second.
//
// CPU is the projector process's (process.cpuUsage) plus its PostgreSQL backends' (utime + stime
// from /proc/<pid>/stat, when the server runs on this machine): the whole cost of projecting.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { RecordedEvent } from '@canopy/event-store';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import { markdownTable } from 'markdown-table';
import { createReadModelDb, migrateReadModels } from '@canopy/read-models';
import { apiProjections } from '@canopy/read-models/projections';
import pg from 'pg';
import { pino } from 'pino';
import { openDatabasePool } from '../database-pool.js';
import { LiveProjection } from '../live-projection.js';
import { projectorConfigSchema } from '../projector-config.js';
import { taskNotificationsOf } from '../task-notifications.js';
import type { LiveFeedOrder, LiveFeedReport } from './live-feed.js';
import {
  EVENTS_PER_TASK,
  appendAll,
  fleetAppends,
  lifecyclePlan,
  roundAppends,
  roundCount,
  type LifecyclePlan,
} from './task-lifecycles.js';

interface BenchConfig {
  readonly serverUrl: string;
  readonly tasks: number;
  readonly rounds: number;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly rate: number;
  readonly liveSeconds: number;
}

const PROJECTOR_APPLICATION = 'canopy-bench-projector';
// Linux's USER_HZ: /proc reports CPU time in these ticks.
const CLOCK_TICK_MS = 10;
// Tasks issued per round when filling the store: a batch of 500 events holds parts of ~5 rounds.
const FILL_WAVE = 100;
const LIVE_TICK_MS = 100;
const PROJECTION_DEADLINE_MS = 30 * 60_000;
// Read-model tables the reference writes: the bulk of what the tasks projection writes.
const REFERENCE_TABLES = ['tasks', 'task_attempts', 'task_results'] as const;
const REFERENCE_TASKS_PER_TRANSACTION = 500;

function readConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BenchConfig {
  const option = (flag: string, variable: string, fallback: number, minimum: number) => {
    const index = argv.indexOf(flag);
    const given = index >= 0 ? argv[index + 1] : env[variable];
    const value = given === undefined ? fallback : Number(given);
    if (!Number.isSafeInteger(value) || value < minimum)
      throw new Error(`${flag} (${variable}) must be an integer ≥ ${minimum}, got ${given}`);
    return value;
  };
  return {
    serverUrl: env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    tasks: option('--tasks', 'BENCH_TASKS', 20_000, 100),
    rounds: option('--rounds', 'BENCH_ROUNDS', 2, 1),
    batchSize: projectorConfigSchema.shape.PROJECTOR_BATCH_SIZE.parse(env['PROJECTOR_BATCH_SIZE']),
    lingerMs: projectorConfigSchema.shape.PROJECTOR_LINGER_MS.parse(env['PROJECTOR_LINGER_MS']),
    rate: option('--rate', 'BENCH_RATE', 300, 10),
    liveSeconds: option('--live-seconds', 'BENCH_LIVE_SECONDS', 20, 0),
  };
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** CPU milliseconds of each backend of `application`, since it connected. */
async function backendCpu(admin: pg.Client, application: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [application],
  );
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) return new Map();
    // Fields after "pid (comm) ": utime and stime are the 14th and 15th of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS);
  }
  return cpu;
}

function cpuSince(before: Map<number, number>, after: Map<number, number>): number | null {
  if (after.size === 0) return null;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

function nodeCpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/** The live projector as the app runs it, on a pool of its own, with what the bench observes. */
class BenchProjector {
  readonly lags: number[] = [];
  batches = 0;
  notifications = 0;
  private readonly pool: pg.Pool;
  private readonly store: PostgresEventStore;
  private readonly db;
  private readonly projection: LiveProjection;

  constructor(databaseUrl: string, batchSize: number, lingerMs: number) {
    const logger = pino({ level: 'warn' }, process.stderr);
    this.pool = openDatabasePool(databaseUrl, PROJECTOR_APPLICATION, logger);
    this.db = createReadModelDb(this.pool);
    this.store = new PostgresEventStore({ pool: this.pool });
    this.projection = new LiveProjection({
      db: this.db,
      store: this.store,
      group: apiProjections,
      batchSize,
      lingerMs,
      lagLogIntervalMs: 60_000,
      logger,
      onCommitted: (events) => this.committed(events),
    });
  }

  private committed(events: readonly RecordedEvent[]): void {
    const now = Date.now();
    this.batches += 1;
    // What the app publishes after each commit; the bench only counts it.
    this.notifications += taskNotificationsOf(events).length;
    const last = events.at(-1);
    if (last !== undefined) this.lags.push((now - last.recordedAt.getTime()) / 1000);
  }

  start(): void {
    this.projection.start();
  }

  eventsApplied(): number {
    return this.projection.progress().position.eventsApplied;
  }

  async waitFor(events: number): Promise<void> {
    const deadline = performance.now() + PROJECTION_DEADLINE_MS;
    for (;;) {
      const { position, failure } = this.projection.progress();
      if (position.eventsApplied >= events) return;
      if (failure !== null) throw new Error(`the projector failed: ${failure}`);
      if (performance.now() > deadline) throw new Error('the projector did not catch up in time');
      await delay(5);
    }
  }

  async stop(): Promise<void> {
    await this.projection.stop();
    await this.store.close();
    await this.db.destroy();
    await this.pool.end();
  }
}

async function emptyReadModels(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'api'`,
  );
  await admin.query(`TRUNCATE ${rows.map((row) => row.name).join(', ')}`);
}

interface ProjectionFigures {
  readonly seconds: number;
  readonly batches: number;
  readonly nodeCpuMs: number;
  readonly databaseCpuMs: number | null;
}

async function projectFromStart(
  admin: pg.Client,
  databaseUrl: string,
  config: BenchConfig,
  total: number,
): Promise<ProjectionFigures> {
  await emptyReadModels(admin);
  const projector = new BenchProjector(databaseUrl, config.batchSize, config.lingerMs);
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    projector.start();
    await projector.waitFor(total);
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = nodeCpuMs(process.cpuUsage(cpu));
    const databaseCpu = cpuSince(new Map(), await backendCpu(admin, PROJECTOR_APPLICATION));
    return { seconds, batches: projector.batches, nodeCpuMs: nodeCpu, databaseCpuMs: databaseCpu };
  } finally {
    await projector.stop();
  }
}

/** Checks the read models hold what the store's lifecycles make: the bench measures nothing else. */
async function checkOutcome(admin: pg.Client, tasks: number, nodes: number): Promise<void> {
  const { rows } = await admin.query<{
    finished: string;
    attempts: string;
    results: string;
    completed: string | null;
    running: string | null;
  }>(`SELECT (SELECT count(*) FROM api.tasks WHERE state = 'finished' AND progress = 100) AS finished,
             (SELECT count(*) FROM api.task_attempts) AS attempts,
             (SELECT count(*) FROM api.task_results) AS results,
             (SELECT sum(completed) FROM api.function_task_counters) AS completed,
             (SELECT sum(running_tasks) FROM api.nodes) AS running`);
  const [row] = rows;
  const expected = String(tasks);
  if (
    row?.finished !== expected ||
    row.attempts !== expected ||
    row.results !== expected ||
    row.completed !== expected ||
    row.running !== '0'
  ) {
    throw new Error(`the read models are not the fold of the store: ${JSON.stringify(row)}`);
  }
  const { rows: nodeRows } = await admin.query<{ n: string }>(
    'SELECT count(*) AS n FROM api.nodes',
  );
  if (nodeRows[0]?.n !== String(nodes)) throw new Error('nodes are missing from the read models');
}

/**
 * The reference: the final rows of the tasks projection's tables, read back from `api`, inserted
 * into empty copies with multi-row INSERTs, one transaction (and one INSERT per table) per
 * REFERENCE_TASKS_PER_TRANSACTION tasks.
 */
async function referenceInserts(admin: pg.Client): Promise<number> {
  const tasksPerBatch = REFERENCE_TASKS_PER_TRANSACTION;
  await admin.query(`DROP SCHEMA IF EXISTS bench_reference CASCADE; CREATE SCHEMA bench_reference`);
  const rowsOf = new Map<string, Record<string, unknown>[]>();
  for (const table of REFERENCE_TABLES) {
    await admin.query(`CREATE TABLE bench_reference.${table} (LIKE api.${table} INCLUDING ALL)`);
    // In the order the projection wrote them, so that the indexes see the same insertion order.
    const { rows } = await admin.query<Record<string, unknown>>(
      `SELECT * FROM api.${table} ORDER BY task_id`,
    );
    rowsOf.set(table, rows);
  }
  const taskCount = rowsOf.get('tasks')?.length ?? 0;
  return timed(async () => {
    for (let start = 0; start < taskCount; start += tasksPerBatch) {
      await admin.query('BEGIN');
      for (const table of REFERENCE_TABLES) {
        const rows = (rowsOf.get(table) ?? []).slice(start, start + tasksPerBatch);
        await insertRows(admin, `bench_reference.${table}`, rows);
      }
      await admin.query('COMMIT');
    }
  });
}

async function insertRows(
  client: pg.Client,
  table: string,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const [first] = rows;
  if (first === undefined) return;
  const columns = Object.keys(first);
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const placeholders = columns.map((column) => {
      const value = row[column];
      values.push(
        value !== null &&
          typeof value === 'object' &&
          !(value instanceof Date) &&
          !Buffer.isBuffer(value)
          ? JSON.stringify(value)
          : value,
      );
      return `$${values.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  await client.query(
    `INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(', ')}) VALUES ${tuples.join(', ')}`,
    values,
  );
}

interface LiveFigures {
  readonly events: number;
  /** From the start of the feed until the projector had its last event. */
  readonly seconds: number;
  readonly feedSeconds: number;
  readonly lateTicks: number;
  readonly lags: readonly number[];
  readonly batches: number;
  readonly nodeCpuMs: number;
  readonly databaseCpuMs: number | null;
}

async function followLiveFeed(
  admin: pg.Client,
  databaseUrl: string,
  config: BenchConfig,
  inStore: number,
  fleet: Pick<LifecyclePlan, 'accountId' | 'functionIds' | 'nodeIds'>,
): Promise<LiveFigures> {
  const tasks = Math.round(config.rate * config.liveSeconds);
  const wave = Math.max(1, Math.round((config.rate * LIVE_TICK_MS) / 1000));
  const plan: LifecyclePlan = {
    ...lifecyclePlan({ tasks, wave, startMs: Date.now() }),
    accountId: fleet.accountId,
    functionIds: fleet.functionIds,
    nodeIds: fleet.nodeIds,
  };
  const projector = new BenchProjector(databaseUrl, config.batchSize, config.lingerMs);
  projector.start();
  try {
    await projector.waitFor(inStore);
    projector.lags.length = 0;
    projector.batches = 0;
    const databaseBefore = await backendCpu(admin, PROJECTOR_APPLICATION);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const child = fork(new URL('./live-feed.js', import.meta.url), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const report = await new Promise<LiveFeedReport>((resolve, reject) => {
      child.once('message', (message) => resolve(message as LiveFeedReport));
      child.once('exit', (code) => reject(new Error(`the live feed exited with code ${code}`)));
      const order: LiveFeedOrder = { databaseUrl, plan, tickMs: LIVE_TICK_MS };
      child.send(order);
    });
    await projector.waitFor(inStore + report.events);
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = nodeCpuMs(process.cpuUsage(cpu));
    const databaseCpu = cpuSince(databaseBefore, await backendCpu(admin, PROJECTOR_APPLICATION));
    return {
      events: report.events,
      seconds,
      feedSeconds: report.seconds,
      lateTicks: report.lateTicks,
      lags: [...projector.lags].sort((a, b) => a - b),
      batches: projector.batches,
      nodeCpuMs: nodeCpu,
      databaseCpuMs: databaseCpu,
    };
  } finally {
    await projector.stop();
  }
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN;
}

function rate(events: number, seconds: number): string {
  return Math.round(events / seconds).toLocaleString('en-US');
}

function printTable(header: readonly string[], lines: readonly (readonly string[])[]): void {
  console.log(markdownTable([header, ...lines]));
}

function perThousand(cpuMs: number | null, events: number): string {
  return cpuMs === null ? 'n/a' : (cpuMs / (events / 1000)).toFixed(0);
}

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2), process.env);
  const databaseName = `canopy_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = new URL(config.serverUrl);
  databaseUrl.pathname = `/${databaseName}`;
  const url = databaseUrl.toString();
  const server = new pg.Client({ connectionString: config.serverUrl });
  await server.connect();
  await server.query(`CREATE DATABASE "${databaseName}"`);
  progress(`scratch database ${databaseName}`);
  const admin = new pg.Client({ connectionString: url });
  try {
    await migrateEventStore(url);
    const migrations = createReadModelDb(url);
    await migrateReadModels(migrations);
    await migrations.destroy();
    await admin.connect();
    const { rows: version } = await admin.query<{ v: string }>(
      "SELECT current_setting('server_version') AS v",
    );

    const plan = lifecyclePlan({ tasks: config.tasks, wave: FILL_WAVE });
    const fleet = fleetAppends(plan);
    const writer = new PostgresEventStore({ connectionString: url });
    const rounds = roundCount(plan);
    progress(`filling the store: ${config.tasks} task lifecycles in ${rounds} rounds`);
    const fillSeconds = await timed(async () => {
      await appendAll(writer, fleet);
      for (let round = 0; round < rounds; round += 1)
        await appendAll(writer, roundAppends(plan, round));
    });
    await writer.close();
    const total = fleet.length + config.tasks * EVENTS_PER_TASK;
    await admin.query('VACUUM ANALYZE event_store.events');
    progress(`${total} events appended in ${fillSeconds.toFixed(1)} s`);

    const projections: ProjectionFigures[] = [];
    const references: number[] = [];
    for (let round = 1; round <= config.rounds; round += 1) {
      progress(`round ${round}/${config.rounds}: projecting ${total} events from 0`);
      projections.push(await projectFromStart(admin, url, config, total));
      await checkOutcome(admin, config.tasks, plan.nodeIds.length);
      progress(`round ${round}/${config.rounds}: reference INSERTs`);
      references.push(await referenceInserts(admin));
    }

    let live: LiveFigures | undefined;
    if (config.liveSeconds > 0) {
      progress(`live: ${config.rate} tasks/s for ${config.liveSeconds} s`);
      live = await followLiveFeed(admin, url, config, total, plan);
    }

    const projectedSeconds = projections.reduce((sum, figures) => sum + figures.seconds, 0);
    const referenceSeconds = references.reduce((sum, seconds) => sum + seconds, 0);
    const events = total * config.rounds;
    console.log(
      `\nCanopy projector benchmark: PostgreSQL ${version[0]?.v ?? '?'}, ` +
        `${config.tasks.toLocaleString('en-US')} tasks × ${EVENTS_PER_TASK} events ` +
        `(+ ${fleet.length} node and function events) = ${total.toLocaleString('en-US')} events, ` +
        `batches of ${config.batchSize}, linger ${config.lingerMs} ms, ${config.rounds} round(s)\n`,
    );
    printTable(
      [
        'measurement',
        'events',
        'seconds',
        'events/s',
        'batches',
        'CPU ms/1000 ev: node',
        'postgres',
      ],
      [
        ...projections.map((figures, index) => [
          `projector from 0, round ${index + 1}`,
          total.toLocaleString('en-US'),
          figures.seconds.toFixed(2),
          rate(total, figures.seconds),
          String(figures.batches),
          perThousand(figures.nodeCpuMs, total),
          perThousand(figures.databaseCpuMs, total),
        ]),
        ...references.map((seconds, index) => [
          `reference: multi-row INSERTs of the final rows, round ${index + 1}`,
          total.toLocaleString('en-US'),
          seconds.toFixed(2),
          rate(total, seconds),
          String(Math.ceil(config.tasks / REFERENCE_TASKS_PER_TRANSACTION)),
          '',
          '',
        ]),
      ],
    );
    const ratio = referenceSeconds / projectedSeconds;
    console.log(
      `\nProjector from 0: ${rate(events, projectedSeconds)} events/s over ${config.rounds} round(s); ` +
        `reference ${rate(events, referenceSeconds)} events/s; ratio projector ÷ reference = ${ratio.toFixed(2)}×`,
    );
    if (live !== undefined) {
      const { lags } = live;
      const busy = (cpuMs: number | null) =>
        cpuMs === null ? 'n/a' : `${((100 * cpuMs) / (live.seconds * 1000)).toFixed(1)} %`;
      console.log(
        `Live at ${config.rate} tasks/s (${rate(live.events, live.feedSeconds)} events/s appended, ` +
          `${live.events.toLocaleString('en-US')} events in ${live.batches} batches` +
          `${live.lateTicks > 0 ? `, writer late on ${live.lateTicks} ticks` : ''}): ` +
          `lag p50 ${(percentile(lags, 0.5) * 1000).toFixed(0)} ms, ` +
          `p99 ${(percentile(lags, 0.99) * 1000).toFixed(0)} ms, ` +
          `max ${(percentile(lags, 1) * 1000).toFixed(0)} ms; CPU of one core: ` +
          `projector ${busy(live.nodeCpuMs)}, its PostgreSQL backends ${busy(live.databaseCpuMs)}`,
      );
    }
  } finally {
    await admin.end().catch(() => undefined);
    await server.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await server.end();
    progress(`dropped ${databaseName}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
