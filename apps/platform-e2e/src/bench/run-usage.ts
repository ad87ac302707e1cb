import path from 'node:path';
import type pg from 'pg';
import { messageTraffic, readConnectionCounts } from './nats-connections.js';
import type { ConnectionCounts } from './nats-connections.js';
import {
  roundTripsBetween,
  stallsBetween,
  takeProbeReadings,
  worstStalls,
} from './service-probe-readings.js';
import type { Stalls } from './service-probe-readings.js';
import type { ProbeReading } from './service-probe.js';
import { nodeProcessName, processGroup } from './process-names.js';
import { sampleDescendants, sampleProcess, withWakeUps } from './process-usage.js';
import type { ProcessSample } from './process-usage.js';

// What the processes of a run spent: CPU and memory (/proc), NATS messages (the server's /connz)
// and PostgreSQL round trips and stalls (the probe preloaded into each Node process), read before
// and after the run and compared.

/** Connections of the benchmark process itself to the bench database carry this name. */
export const BENCH_APPLICATION_NAME = 'canopy-bench';

export interface UsageSources {
  /** A connection to the run's database, named BENCH_APPLICATION_NAME. */
  readonly db: pg.Pool;
  readonly natsMonitorUrl: string;
  readonly probeDirectory: string;
}

/** A PostgreSQL backend serving the run's database, and the name its client gave the connection. */
export interface PostgresBackendSample extends ProcessSample {
  /** Its `application_name`: `canopy-<service>` for a service's connection, '' when unnamed. */
  readonly applicationName: string;
}

export interface UsageSnapshot {
  readonly atMs: number;
  readonly processes: readonly ProcessSample[];
  readonly postgresBackends: readonly PostgresBackendSample[];
  readonly connections: readonly ConnectionCounts[];
  /** What the probe in each Node process of the stack counted and saw, by pid. */
  readonly probeReadings: ReadonlyMap<number, ProbeReading>;
  readonly benchCpu: NodeJS.CpuUsage;
  /** The benchmark process's own threads' voluntary context switches. */
  readonly benchWakeUps: number;
}

export async function takeUsageSnapshot(sources: UsageSources): Promise<UsageSnapshot> {
  const { rows } = await sources.db.query<{ pid: number; application_name: string }>(
    `SELECT pid, application_name FROM pg_stat_activity
     WHERE datname = current_database() AND application_name <> $1`,
    [BENCH_APPLICATION_NAME],
  );
  const [processes, postgresBackends, connections, probeReadings, bench] = await Promise.all([
    sampleDescendants().then((samples) => Promise.all(samples.map(withWakeUps))),
    Promise.all(
      rows.map(async (row) => {
        const sample = await sampleProcess(row.pid);
        return sample === undefined
          ? undefined
          : { ...(await withWakeUps(sample)), applicationName: row.application_name };
      }),
    ),
    readConnectionCounts(sources.natsMonitorUrl),
    takeProbeReadings(sources.probeDirectory),
    sampleProcess(process.pid).then((sample) => sample && withWakeUps(sample)),
  ]);
  return {
    atMs: performance.now(),
    processes,
    postgresBackends: postgresBackends.filter((sample) => sample !== undefined),
    connections,
    probeReadings,
    benchCpu: process.cpuUsage(),
    benchWakeUps: bench?.wakeUps ?? 0,
  };
}

export interface ProcessFigures {
  readonly name: string;
  readonly cpuSeconds: number;
  /** CPU time over the run's wall time, as a percentage of one core. */
  readonly coreShare: number;
  /** CPU time per task issued in the run, in milliseconds. */
  readonly cpuMsPerTask: number;
  /** Times its threads slept and were woken, per task issued (voluntary context switches). */
  readonly wakeUpsPerTask: number;
  /** Resident memory of a Canopy process at the start and at the end of the run. */
  readonly rssStartBytes?: number | undefined;
  readonly rssEndBytes?: number | undefined;
  /** Its JavaScript heap in use after the latest full collection, at the start and at the end. */
  readonly liveHeapStartBytes?: number | undefined;
  readonly liveHeapEndBytes?: number | undefined;
}

export interface PerTask {
  readonly name: string;
  readonly perTask: number;
}

export interface NatsFigures {
  /** The connections' name (nodes summed) and how many there were. */
  readonly name: string;
  /** Messages the connections published, per task. */
  readonly publishedPerTask: number;
  /** Messages the server delivered to them, per task. */
  readonly deliveredPerTask: number;
}

export interface UsageReport {
  readonly wallSeconds: number;
  readonly processes: readonly ProcessFigures[];
  /** The processes' figures added up: what the run cost the machine, the benchmark included. */
  readonly total: Pick<
    ProcessFigures,
    'cpuSeconds' | 'coreShare' | 'cpuMsPerTask' | 'wakeUpsPerTask'
  >;
  readonly nats: readonly NatsFigures[];
  readonly postgresRoundTrips: readonly PerTask[];
  /** The statements each process sent most, per task. */
  readonly postgresStatements: readonly (PerTask & { readonly statement: string })[];
  /** What held up each service: its event loop's delays and its garbage collector's pauses. */
  readonly stalls: readonly Stalls[];
}

const FUNCTIONS = 'function processes (children of node agents)';
/** How many of a process's statements the report names, the most sent first. */
const STATEMENTS_SHOWN = 4;

const isNodeAgent = (sample: ProcessSample | undefined): boolean =>
  sample !== undefined && nodeProcessName(sample.command)?.startsWith('node-agent') === true;

/** How a sampled process is named in the tables: the function processes of agents are one line. */
function processName(sample: ProcessSample, parents: ReadonlyMap<number, ProcessSample>): string {
  if (isNodeAgent(parents.get(sample.parentPid))) return FUNCTIONS;
  if (path.basename(sample.command[0] ?? '') === 'nats-server') return 'nats-server';
  return nodeProcessName(sample.command) ?? path.basename(sample.command[0] ?? String(sample.pid));
}

export function usageBetween(
  before: UsageSnapshot,
  after: UsageSnapshot,
  tasks: number,
): UsageReport {
  const wallSeconds = (after.atMs - before.atMs) / 1000;
  const cpu = (cpuSeconds: number, wakeUps: number): UsageReport['total'] => ({
    cpuSeconds,
    coreShare: (cpuSeconds / wallSeconds) * 100,
    cpuMsPerTask: (cpuSeconds * 1000) / tasks,
    wakeUpsPerTask: wakeUps / tasks,
  });
  const earlier = new Map(before.processes.map((sample) => [sample.pid, sample]));
  const parents = new Map(after.processes.map((sample) => [sample.pid, sample]));

  const processes: ProcessFigures[] = [];
  let functionSeconds = 0;
  let functionWakeUps = 0;
  for (const sample of after.processes) {
    const start = earlier.get(sample.pid);
    const name = processName(sample, parents);
    // A process started during the run (a persistent function) counts from zero.
    const cpuSeconds = sample.cpuSeconds - (start?.cpuSeconds ?? 0);
    const wakeUps = sample.wakeUps - (start?.wakeUps ?? 0);
    // Per-task functions have exited: their time is their agent's time of waited-for children.
    if (isNodeAgent(sample)) {
      functionSeconds += sample.exitedChildrenCpuSeconds - (start?.exitedChildrenCpuSeconds ?? 0);
    }
    if (name === FUNCTIONS) {
      functionSeconds += cpuSeconds;
      functionWakeUps += wakeUps;
      continue;
    }
    const canopy = nodeProcessName(sample.command) !== undefined;
    processes.push({
      name,
      ...cpu(cpuSeconds, wakeUps),
      rssStartBytes: canopy ? start?.rssBytes : undefined,
      rssEndBytes: canopy ? sample.rssBytes : undefined,
      liveHeapStartBytes: before.probeReadings.get(sample.pid)?.liveHeapBytes,
      liveHeapEndBytes: after.probeReadings.get(sample.pid)?.liveHeapBytes,
    });
  }
  if (functionSeconds > 0 || functionWakeUps > 0) {
    processes.push({ name: FUNCTIONS, ...cpu(functionSeconds, functionWakeUps) });
  }
  // The backends by the service whose connections they serve (its application_name).
  const backendsBefore = new Map(before.postgresBackends.map((sample) => [sample.pid, sample]));
  const backendsByClient = new Map<
    string,
    { backends: number; cpuSeconds: number; wakeUps: number }
  >();
  for (const sample of after.postgresBackends) {
    const client = backendsByClient.get(sample.applicationName) ?? {
      backends: 0,
      cpuSeconds: 0,
      wakeUps: 0,
    };
    const start = backendsBefore.get(sample.pid);
    client.backends += 1;
    client.cpuSeconds += sample.cpuSeconds - (start?.cpuSeconds ?? 0);
    client.wakeUps += sample.wakeUps - (start?.wakeUps ?? 0);
    backendsByClient.set(sample.applicationName, client);
  }
  for (const [client, { backends, cpuSeconds, wakeUps }] of [...backendsByClient].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    processes.push({
      name: `PostgreSQL backends of ${client === '' ? 'unnamed clients' : client} (${backends})`,
      ...cpu(cpuSeconds, wakeUps),
    });
  }
  const benchSeconds =
    (after.benchCpu.user + after.benchCpu.system - before.benchCpu.user - before.benchCpu.system) /
    1e6;
  processes.push({
    name: 'benchmark (clients, this process)',
    ...cpu(benchSeconds, after.benchWakeUps - before.benchWakeUps),
  });
  const total = cpu(
    processes.reduce((sum, figures) => sum + figures.cpuSeconds, 0),
    processes.reduce((sum, figures) => sum + figures.wakeUpsPerTask * tasks, 0),
  );

  const traffic = messageTraffic(before.connections, after.connections, (name) =>
    name.startsWith('canopy-node ') ? 'canopy-node' : name === '' ? 'unnamed' : name,
  );
  const roundTrips = new Map<string, number>();
  const statements = new Map<string, Map<string, number>>();
  for (const sent of roundTripsBetween(before.probeReadings, after.probeReadings)) {
    const group = processGroup(sent.name);
    roundTrips.set(group, (roundTrips.get(group) ?? 0) + sent.queries);
    const ofGroup = statements.get(group) ?? new Map<string, number>();
    for (const [statement, count] of sent.statements)
      ofGroup.set(statement, (ofGroup.get(statement) ?? 0) + count);
    statements.set(group, ofGroup);
  }
  const stallsByGroup = new Map<string, Stalls[]>();
  for (const stalls of stallsBetween(before.probeReadings, after.probeReadings)) {
    const group = processGroup(stalls.name);
    stallsByGroup.set(group, [...(stallsByGroup.get(group) ?? []), stalls]);
  }
  const perTask = (count: number): number => count / tasks;
  return {
    wallSeconds,
    processes,
    total,
    nats: traffic.map((group) => ({
      name: `${group.group} (${group.connections})`,
      publishedPerTask: perTask(group.published),
      deliveredPerTask: perTask(group.delivered),
    })),
    postgresRoundTrips: [...roundTrips].map(([name, count]) => ({ name, perTask: perTask(count) })),
    postgresStatements: [...statements].flatMap(([name, counts]) =>
      [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, STATEMENTS_SHOWN)
        .map(([statement, count]) => ({ name, statement, perTask: perTask(count) })),
    ),
    stalls: [...stallsByGroup].map(([name, stalls]) => worstStalls(name, stalls)),
  };
}
