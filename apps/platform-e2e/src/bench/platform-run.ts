import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import pg from 'pg';
import { startStack } from '../testing/platform-stack.js';
import { startBenchNodes } from './bench-nodes.js';
import type { NodeRuntime } from './bench-nodes.js';
import { summarizeLatencies } from './latency-summary.js';
import type { LatencySummary } from './latency-summary.js';
import { latencyOverTime } from './latency-over-time.js';
import type { LatencyPeriod } from './latency-over-time.js';
import { atHalfTheRate, runClosedLoop, runOpenLoop, runWarmUp, warmsUp } from './load-shapes.js';
import type { ClosedLoopShape, OpenLoopShape, WarmUpShape } from './load-shapes.js';
import { canopyProcesses, memoryAtQuarters, sampleCanopyMemory } from './memory-trace.js';
import type { MemorySample } from './memory-trace.js';
import { serviceProbeEnv } from './service-probe-readings.js';
import { readRecordedTaskTimes } from './recorded-task-times.js';
import { BENCH_APPLICATION_NAME, takeUsageSnapshot, usageBetween } from './run-usage.js';
import type { UsageReport, UsageSnapshot } from './run-usage.js';
import { BenchHttpClient } from './bench-http-client.js';
import { issueTaskAndAwaitResult } from './task-client.js';
import type { ClientTask } from './task-client.js';
import { assignedWithIssue, joinTimelines, stageBreakdown } from './task-stages.js';
import { runtimeName } from './platform-report.js';
import type { ClientTaskTimes, StageFigures } from './task-stages.js';

// One benchmark run of the whole platform as real processes: its own database and nats-server,
// gateway, scheduler, projector, K nodes of one runtime, loaded over HTTP in a closed or an open
// loop. Returns the figures; printing is the caller's.

/**
 * Connections the open loop may hold to the gateway: arrivals do not wait for earlier answers, so
 * enough that none waits for a socket (a queued request would count as latency).
 */
const OPEN_LOOP_CONNECTIONS = 1024;
/** The warm-up's tasks unless told otherwise: every slot's function started and used a few times. */
export function defaultWarmupTasks(nodes: number, slots: number): number {
  return 4 * nodes * slots;
}

/**
 * The warm-up's length unless told otherwise. Fed at full load from cold, the stack's rate climbs
 * for about four seconds (its processes' compilers at work) before it levels off.
 */
export const DEFAULT_WARMUP_SECONDS = 5;

/** Clients of an open loop's warm-up. */
const WARMUP_CLIENTS = 64;

/** The load a run measures. */
export type MeasuredLoad =
  ({ readonly kind: 'closed' } & ClosedLoopShape) | ({ readonly kind: 'open' } & OpenLoopShape);

/**
 * The load of a run: a closed or an open loop, or (`half`) the closed loop of `tasks` from
 * `clients` first, left out of the figures but for its rate, then the open loop on the same stack
 * at half that rate for `durationSeconds`.
 */
export type PlatformLoad =
  | MeasuredLoad
  | ({ readonly kind: 'half' } & ClosedLoopShape & Pick<OpenLoopShape, 'durationSeconds'>);

export interface PlatformRunOptions {
  readonly runtime: NodeRuntime;
  /** The persistent runtime's function: invocations one process serves at once (its default, 1). */
  readonly functionConcurrency?: number;
  readonly nodes: number;
  readonly slots: number;
  /** Scheduler replicas (1 when absent): one leads, the others stand by. */
  readonly schedulers?: number;
  readonly load: PlatformLoad;
  /**
   * Tasks run before the measured run and left out of every figure (a closed loop of the run's
   * clients, or 64, for at least this many tasks and seconds): processes started, code compiled,
   * connections opened, as in a system that has been up for a while.
   */
  readonly warmUp: Omit<WarmUpShape, 'clients'>;
  /** Also measure where the time goes: stages, CPU and memory, NATS messages, PostgreSQL round trips. */
  readonly details: boolean;
  /** Settings for every process of the stack, services and nodes (`--env KEY=VALUE`). */
  readonly serviceEnv?: Readonly<Record<string, string>>;
  readonly progress: (line: string) => void;
}

export interface PlatformRun {
  readonly options: PlatformRunOptions;
  readonly issued: number;
  readonly completed: number;
  /** Why tasks did not end with a 200 result, with how many did not for that reason. */
  readonly errors: ReadonlyMap<string, number>;
  readonly elapsedMs: number;
  /** The warm-up before the run, left out of every figure. */
  readonly warmedUp: { readonly tasks: number; readonly ms: number };
  /** The load measured: the options' load, or for `half` the open loop it came to. */
  readonly load: MeasuredLoad;
  /** `half`: the closed loop before the run, whose rate was halved. */
  readonly maximum?: { readonly tasks: number; readonly ms: number; readonly throughput: number };
  /** Completed tasks per second of wall time. */
  readonly throughput: number;
  /** From the POST (open loop: from when the arrival was due) to the 201. */
  readonly toCreated: LatencySummary;
  /** From the POST (open loop: from when the arrival was due) to the result, completed tasks. */
  readonly toResult: LatencySummary;
  /** The same two latencies by when the tasks started: whether the run was steady. */
  readonly overTime: readonly LatencyPeriod[];
  readonly openLoop?: {
    readonly achievedRate: number;
    readonly startLag: LatencySummary;
  };
  readonly projector: {
    readonly eventsStored: number;
    readonly maxBacklogSampled: number;
    readonly backlogAtLastResult: number;
    readonly catchUpMs: number;
  };
  readonly stages?: {
    readonly tasks: number;
    readonly figures: readonly StageFigures[];
    /** Tasks whose attempt that finished was recorded in the append that issued them. */
    readonly assignedWithIssue: number;
  };
  readonly usage?: UsageReport;
  /** Resident memory of the Canopy processes at the start, each quarter of the run and the end. */
  readonly memory?: readonly MemorySample[];
}

interface Backlog {
  readonly applied: number;
  readonly stored: number;
}

async function projectorBacklog(db: pg.Pool): Promise<Backlog> {
  const { rows } = await db.query<{ applied: string | null; stored: string }>(`
    SELECT (SELECT events_applied FROM api.projection_checkpoints WHERE projection = 'api')::text AS applied,
           (SELECT count(*) FROM event_store.events)::text AS stored`);
  const row = rows[0];
  return { applied: Number(row?.applied ?? 0), stored: Number(row?.stored ?? 0) };
}

interface RunTask {
  readonly task: ClientTask;
  /** When the latency clock started: the POST, or (open loop) the arrival's due time. */
  readonly startedAt: number;
}

export async function runPlatform(options: PlatformRunOptions): Promise<PlatformRun> {
  const { load: asked } = options;
  options.progress(
    `starting the stack: ${options.nodes} ${runtimeName(options)} nodes x ${options.slots} slots, ` +
      `${options.schedulers ?? 1} scheduler${(options.schedulers ?? 1) > 1 ? 's' : ''}; ` +
      (asked.kind === 'closed'
        ? `${asked.tasks} tasks from ${asked.clients} clients (closed loop)`
        : asked.kind === 'open'
          ? `${asked.ratePerSecond} tasks/s for ${asked.durationSeconds} s (open loop)`
          : `${asked.tasks} tasks from ${asked.clients} clients (closed loop), then an open loop ` +
            `at half their rate for ${asked.durationSeconds} s`),
  );
  const probeDirectory = await mkdtemp(path.join(tmpdir(), 'canopy-bench-pg-probe-'));
  const processEnv = withServiceEnv(
    options.serviceEnv ?? {},
    withProfiles(options.details ? serviceProbeEnv(probeDirectory) : {}),
  );
  try {
    const stack = await startStack({
      label: 'bench',
      processEnv,
      replicas: { scheduler: options.schedulers ?? 1 },
      natsMonitoring: options.details,
      schedulerEnv: {
        // The services' own defaults rather than the tests' quick heartbeats, which would add
        // messages per task that production does not send.
        SCHEDULER_HEARTBEAT_INTERVAL_MS: '2000',
        SCHEDULER_HEARTBEAT_TIMEOUT_MS: '6000',
        // One account drives the whole run, far harder than any one client should.
        MAX_WAITING_TASKS_PER_ACCOUNT: '0',
      },
    });
    const db = new pg.Pool({
      connectionString: stack.databaseUrl,
      max: 2,
      application_name: BENCH_APPLICATION_NAME,
    });
    try {
      const { token } = await stack.signUp('bench');
      const nodes = await startBenchNodes(stack, token, {
        runtime: options.runtime,
        ...(options.functionConcurrency === undefined
          ? {}
          : { functionConcurrency: options.functionConcurrency }),
        nodes: options.nodes,
        slots: options.slots,
        processEnv,
      });
      try {
        const usageSources =
          options.details && stack.natsMonitorUrl !== undefined
            ? { db, natsMonitorUrl: stack.natsMonitorUrl, probeDirectory }
            : undefined;
        const http = new BenchHttpClient(
          stack.url,
          asked.kind === 'closed' ? asked.clients : OPEN_LOOP_CONNECTIONS,
        );
        const warmUp: WarmUpShape = {
          ...options.warmUp,
          clients: asked.kind === 'open' ? WARMUP_CLIENTS : asked.clients,
        };
        const warmUpStarted = performance.now();
        if (warmsUp(warmUp)) {
          options.progress(
            `warming up: ${warmUp.tasks} tasks and ${warmUp.seconds} s at least, not counted`,
          );
        }
        const warmedUp = {
          tasks: await runWarmUp(
            warmUp,
            async () => void (await issueTaskAndAwaitResult(http, token, nodes.functionId)),
          ),
          ms: performance.now() - warmUpStarted,
        };
        let load: MeasuredLoad;
        let maximum: PlatformRun['maximum'];
        if (asked.kind === 'half') {
          options.progress(`the maximum: ${asked.tasks} tasks, counted for their rate only`);
          let completed = 0;
          const ms = await runClosedLoop(asked, async () => {
            const task = await issueTaskAndAwaitResult(http, token, nodes.functionId);
            if (task.error === undefined) completed += 1;
          });
          if (completed === 0)
            throw new Error('the closed loop completed no task: no rate to halve');
          maximum = { tasks: completed, ms, throughput: (completed / ms) * 1000 };
          load = { kind: 'open', ...atHalfTheRate(maximum.throughput, asked.durationSeconds) };
          options.progress(`half the maximum: ${load.ratePerSecond} tasks/s`);
        } else {
          load = asked;
        }
        // Let the start-up settle (the projector catches up with the account and the nodes).
        await untilProjectorCaughtUp(db);
        const before: UsageSnapshot | undefined =
          usageSources === undefined ? undefined : await takeUsageSnapshot(usageSources);
        options.progress('running');
        const eventsBefore = (await projectorBacklog(db)).stored;

        const tasks: RunTask[] = [];
        let maxBacklog = 0;
        let sampling = true;
        const memory: MemorySample[] = [];
        const followed = options.details ? await canopyProcesses() : new Map<number, string>();
        const sampler = (async () => {
          while (sampling) {
            const { applied, stored } = await projectorBacklog(db);
            maxBacklog = Math.max(maxBacklog, stored - applied);
            if (options.details) memory.push(await sampleCanopyMemory(followed, tasks.length));
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        })();

        const runOne = async (startedAt?: number): Promise<void> => {
          const task = await issueTaskAndAwaitResult(http, token, nodes.functionId);
          tasks.push({ task, startedAt: startedAt ?? task.postSent });
        };
        let elapsedMs: number;
        let openLoop: PlatformRun['openLoop'];
        if (load.kind === 'closed') {
          elapsedMs = await runClosedLoop(load, () => runOne());
        } else {
          const run = await runOpenLoop(load, (scheduledAt) => runOne(scheduledAt));
          elapsedMs = run.elapsedMs;
          openLoop = {
            achievedRate: run.achievedRate,
            startLag: summarizeLatencies(run.startLagsMs),
          };
        }
        http.close();
        sampling = false;
        await sampler;

        const atLastResult = await projectorBacklog(db);
        const catchUpStarted = performance.now();
        await untilProjectorCaughtUp(db);
        const catchUpMs = performance.now() - catchUpStarted;
        const after =
          usageSources === undefined ? undefined : await takeUsageSnapshot(usageSources);

        const completed = tasks.filter(({ task }) => task.error === undefined);
        const errors = new Map<string, number>();
        for (const { task } of tasks) {
          if (task.error !== undefined) errors.set(task.error, (errors.get(task.error) ?? 0) + 1);
        }
        let stages: PlatformRun['stages'];
        if (options.details) {
          options.progress('reading what the stores recorded');
          const seen = new Map<string, ClientTaskTimes>();
          for (const { task } of completed) {
            if (
              task.taskId === undefined ||
              task.createdReceived === undefined ||
              task.resultReceived === undefined
            )
              continue;
            seen.set(task.taskId, {
              postSent: task.postSent,
              createdReceived: task.createdReceived,
              resultReceived: task.resultReceived,
            });
          }
          const timelines = joinTimelines(seen, await readRecordedTaskTimes(db));
          stages = {
            tasks: timelines.length,
            figures: stageBreakdown(timelines),
            assignedWithIssue: assignedWithIssue(timelines),
          };
        }
        return {
          options,
          issued: tasks.length,
          completed: completed.length,
          errors,
          elapsedMs,
          warmedUp,
          load,
          ...(maximum === undefined ? {} : { maximum }),
          overTime: latencyOverTime(
            tasks.map(({ task, startedAt }) => ({
              startedAt,
              createdReceived: task.createdReceived,
              resultReceived: task.error === undefined ? task.resultReceived : undefined,
            })),
          ),
          throughput: (completed.length / elapsedMs) * 1000,
          toCreated: summarizeLatencies(
            tasks.flatMap(({ task, startedAt }) =>
              task.createdReceived === undefined ? [] : [task.createdReceived - startedAt],
            ),
          ),
          toResult: summarizeLatencies(
            completed.flatMap(({ task, startedAt }) =>
              task.resultReceived === undefined ? [] : [task.resultReceived - startedAt],
            ),
          ),
          ...(openLoop === undefined ? {} : { openLoop }),
          projector: {
            eventsStored: atLastResult.stored - eventsBefore,
            maxBacklogSampled: maxBacklog,
            backlogAtLastResult: atLastResult.stored - atLastResult.applied,
            catchUpMs,
          },
          ...(stages === undefined ? {} : { stages }),
          ...(before === undefined || after === undefined
            ? {}
            : { usage: usageBetween(before, after, Math.max(1, tasks.length)) }),
          ...(options.details
            ? {
                memory: memoryAtQuarters(
                  [...memory, await sampleCanopyMemory(followed, tasks.length)],
                  tasks.length,
                ),
              }
            : {}),
        };
      } finally {
        await nodes.stop();
      }
    } finally {
      await db.end();
      await stack.stop();
    }
  } finally {
    await rm(probeDirectory, { recursive: true, force: true });
  }
}

async function untilProjectorCaughtUp(db: pg.Pool): Promise<void> {
  await eventually(
    async () => {
      const { applied, stored } = await projectorBacklog(db);
      if (applied < stored) throw new Error(`the projector is ${stored - applied} events behind`);
    },
    120_000,
    20,
  );
}

/** The run's settings under the benchmark's own; NODE_OPTIONS keeps both (the run's first). */
function withServiceEnv(
  settings: Readonly<Record<string, string>>,
  own: Record<string, string>,
): Record<string, string> {
  const nodeOptions = [settings['NODE_OPTIONS'], own['NODE_OPTIONS']].filter(
    (value) => value !== undefined && value !== '',
  );
  return {
    ...settings,
    ...own,
    ...(nodeOptions.length === 0 ? {} : { NODE_OPTIONS: nodeOptions.join(' ') }),
  };
}

/**
 * With BENCH_CPU_PROFILE_DIR set, every Node process of the stack writes a V8 CPU profile there when
 * it stops (cpu-profile-probe.ts): where its time went. With BENCH_ALLOCATION_PROFILE_DIR set, a
 * sampled profile of what it allocated, garbage included (allocation-profile-probe.ts).
 */
function withProfiles(env: Record<string, string>): Record<string, string> {
  let profiled = env;
  for (const [variable, probe] of [
    ['BENCH_CPU_PROFILE_DIR', './cpu-profile-probe.js'],
    ['BENCH_ALLOCATION_PROFILE_DIR', './allocation-profile-probe.js'],
  ] as const) {
    const directory = process.env[variable];
    if (directory === undefined || directory === '') continue;
    const href = new URL(probe, import.meta.url).href;
    profiled = {
      ...profiled,
      [variable]: path.resolve(directory),
      NODE_OPTIONS: [profiled['NODE_OPTIONS'], `--import=${href}`].filter(Boolean).join(' '),
    };
  }
  return profiled;
}
