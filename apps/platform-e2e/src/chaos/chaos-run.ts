import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { eventually } from '@canopy/async-testing';
import { createReadModelDb } from '@canopy/read-models';
import { foldedReadModels, readModelSnapshot } from '@canopy/read-models/testing';
import pg from 'pg';
import { isDeepStrictEqual } from 'node:util';
import { startStack } from '../testing/platform-stack.js';
import type { NodeHandle, PlatformStack } from '../testing/platform-stack.js';
import { injectFault, schedulerLease } from './faults.js';
import type { FaultName } from './faults.js';
import { dispatchBackAt, judge, parseExecutionLog } from './invariants.js';
import type { Judgement, LoggedEvent } from './invariants.js';
import { startSteadyLoad } from './steady-load.js';

// The chaos run: the whole platform with every part doubled or tripled, under a steady load, and
// one fault after another. After each, what must hold is judged (invariants.ts) and how long the
// platform took to recover is measured.

export interface ChaosOptions {
  readonly faults: readonly FaultName[];
  /** Tasks per second, all clients together. */
  readonly ratePerSecond: number;
  readonly clients: number;
  /** Load before each fault, ms. */
  readonly warmMs: number;
  /** Load from the fault on, ms (the fault and the restart included). */
  readonly faultPhaseMs: number;
  /** How long a killed process stays down, ms. */
  readonly downMs: number;
  readonly nodes: number;
  readonly slots: number;
  /** Where every process's output is written, one file each. */
  readonly logDir: string;
  readonly progress: (line: string) => void;
}

export interface FaultReport {
  readonly fault: FaultName;
  readonly target: string;
  readonly issued: number;
  readonly acknowledged: number;
  readonly refused: number;
  readonly judgement: Judgement;
  /** `equal` when the read models equal a fold of the event store once quiet; else what differs. */
  readonly readModels: string;
  /** From the fault to a new leader's lease, ms; when the leader changed. */
  readonly failoverMs: number | undefined;
  /** From the fault until no task waited long for a node any more, ms (0: none did). */
  readonly dispatchBackMs: number;
  /** From the broken part being back to the last refused POST, ms (undefined: none after). */
  readonly lastRefusalAfterBackMs: number | undefined;
  /** Refusals of a kind, e.g. `503 × 12`. */
  readonly refusalKinds: string;
}

const LEASE_TTL_MS = 3_000;
/** A task that waits longer than this for a node counts as dispatch not being back to normal. */
const SLOW_DISPATCH_MS = 2_000;
const RESULT_DEADLINE_MS = 90_000;

export async function runChaos(options: ChaosOptions): Promise<FaultReport[]> {
  const { progress } = options;
  progress(
    `starting the stack: 2 schedulers, 2 projectors, 2 gateways, ${options.nodes} node agents ` +
      `x ${options.slots} slots, 3 nats-servers, PostgreSQL of its own`,
  );
  const workDir = await mkdtemp(path.join(tmpdir(), 'canopy-chaos-'));
  const executionLog = path.join(workDir, 'executions.log');
  await writeFile(executionLog, '');
  progress(`the processes' output goes to ${options.logDir}`);
  const stack = await startStack({
    label: 'chaos',
    logDir: options.logDir,
    replicas: { scheduler: 2, projector: 2, gateway: 2 },
    natsCluster: true,
    ownPostgres: true,
    // The gateways count every request against their rate limits, shared in PostgreSQL, as they do
    // in production, with allowances this load never reaches: the counting goes through every
    // fault (a killed gateway, PostgreSQL restarting) without refusing anything itself.
    processEnv: {
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_KEY_EXCHANGE_PER_SECOND: '1000',
    },
    schedulerEnv: {
      SCHEDULER_HEARTBEAT_INTERVAL_MS: '2000',
      SCHEDULER_HEARTBEAT_TIMEOUT_MS: '6000',
      SCHEDULER_LEASE_TTL_MS: String(LEASE_TTL_MS),
      MAX_WAITING_TASKS_PER_ACCOUNT: '0',
    },
  });
  const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 3 });
  db.on('error', () => undefined);
  const readModels = createReadModelDb(stack.databaseUrl);
  const nodes: NodeHandle[] = [];
  // Interrupted: the stack's processes and servers must not outlive the run.
  const interrupted = () => {
    progress('interrupted: stopping the stack');
    void stack.stop().finally(() => process.exit(130));
  };
  // The stack must be stopped however the run ends, even by an error of its own.
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const { token } = await stack.signUp('chaos');
    for (let index = 0; index < options.nodes; index += 1) {
      nodes.push(
        await stack.startNode({ nodeId: `chaos-node-${index + 1}`, slots: options.slots }),
      );
    }
    const functionId = await stack.registerFunction(token, {
      name: 'logged echo',
      timeout: 30,
      runtime: {
        kind: 'process',
        command: 'sh',
        // Logs the run, takes a moment (so that a node killed has work in hand), echoes the body.
        args: [
          '-c',
          'echo "$CANOPY_TASK_ID $CANOPY_ATTEMPT" >> "$0"; sleep 0.5; exec cat',
          executionLog,
        ],
      },
    });
    const slotsByNode = new Map(nodes.map((node) => [node.nodeId, options.slots]));
    const reports: FaultReport[] = [];
    let natsServerIndex = 0;
    for (const fault of options.faults) {
      progress(`${fault}: load for ${options.warmMs / 1000} s, then the fault`);
      const startPosition = await headPosition(db);
      const load = startSteadyLoad({
        gatewayUrls: stack.gatewayUrls,
        token,
        functionId,
        ratePerSecond: options.ratePerSecond,
        clients: options.clients,
        label: fault,
      });
      await delay(options.warmMs);
      const leaseWatch = watchLease(db);
      const faultAt = Date.now();
      progress(`${fault}: injecting`);
      const outcome = await injectFault(fault, {
        stack,
        db,
        nodes,
        nodeSlots: options.slots,
        downMs: options.downMs,
        leaseTtlMs: LEASE_TTL_MS,
        natsServerIndex,
        progress,
      });
      if (fault === 'nats-kill') natsServerIndex += 1;
      progress(
        `${fault}: ${outcome.target} back after ${((outcome.backAt - faultAt) / 1000).toFixed(1)} s`,
      );
      const remaining = faultAt + options.faultPhaseMs - Date.now();
      if (remaining > 0) await delay(remaining);
      progress(`${fault}: stopping the load, waiting for every result`);
      await load.stop(RESULT_DEADLINE_MS);
      const leaseChanges = await leaseWatch.stop();

      progress(`${fault}: checking`);
      await untilProjectorCaughtUp(db);
      const readModelsVerdict = await readModelsAgainstFold(stack, db, readModels);
      const events = await eventsSince(db, startPosition);
      const phaseTasks = new Set(
        events
          .filter((event) => event.streamId.startsWith('task-'))
          .map((event) => event.streamId.slice(5)),
      );
      const executions = parseExecutionLog(await readFile(executionLog, 'utf8')).filter((run) =>
        phaseTasks.has(run.taskId),
      );
      const judgement = judge({
        acknowledged: load.acknowledged,
        events,
        executions,
        slotsByNode,
        killedNodes: new Set(outcome.killedNodes),
      });
      const newLeader = leaseChanges.find((change) => change.at >= faultAt && change.epochChanged);
      const backAt = dispatchBackAt(
        events.filter((event) => event.recordedAt >= faultAt - SLOW_DISPATCH_MS),
        SLOW_DISPATCH_MS,
      );
      const lastRefusal = Math.max(0, ...load.refusals.map((refusal) => refusal.at));
      const kinds = new Map<string, number>();
      for (const { reason } of load.refusals) kinds.set(reason, (kinds.get(reason) ?? 0) + 1);
      const report: FaultReport = {
        fault,
        target: outcome.target,
        issued: load.issued,
        acknowledged: load.acknowledged.length,
        refused: load.refusals.length,
        judgement,
        readModels: readModelsVerdict,
        failoverMs: newLeader === undefined ? undefined : newLeader.at - faultAt,
        dispatchBackMs: backAt === undefined ? 0 : Math.max(0, backAt - faultAt),
        lastRefusalAfterBackMs:
          lastRefusal > outcome.backAt ? lastRefusal - outcome.backAt : undefined,
        refusalKinds: [...kinds].map(([reason, count]) => `${reason} × ${count}`).join(', '),
      };
      reports.push(report);
      progress(`${fault}: ${judgement.count} violation(s)`);
    }
    return reports;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await readModels.destroy().catch(() => undefined);
    await db.end().catch(() => undefined);
    await stack.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function headPosition(db: pg.Pool): Promise<bigint> {
  const { rows } = await db.query<{ head: string | null }>(
    'SELECT max(global_position)::text AS head FROM event_store.events',
  );
  return BigInt(rows[0]?.head ?? '0');
}

async function eventsSince(db: pg.Pool, position: bigint): Promise<LoggedEvent[]> {
  const { rows } = await db.query<{
    global_position: string;
    stream_id: string;
    type: string;
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
    recorded_at: Date;
  }>(
    // Ordered by the column, qualified: unqualified, ORDER BY would take the text alias and sort
    // positions as strings (10, 109, 11...), which scrambles the record's order.
    `SELECT e.global_position::text AS global_position, stream_id, type, data, metadata, recorded_at
       FROM event_store.events e WHERE e.global_position > $1 ORDER BY e.global_position`,
    [position.toString()],
  );
  return rows.map((row) => ({
    position: BigInt(row.global_position),
    streamId: row.stream_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at.getTime(),
  }));
}

interface LeaseChange {
  readonly at: number;
  readonly epoch: number;
  readonly epochChanged: boolean;
}

/** Samples the scheduler's lease every 50 ms (a database away is skipped) until stopped. */
function watchLease(db: pg.Pool): { stop(): Promise<LeaseChange[]> } {
  const changes: LeaseChange[] = [];
  let running = true;
  const sampling = (async () => {
    let epoch: number | undefined;
    while (running) {
      try {
        const lease = await schedulerLease(db);
        if (lease !== undefined && lease.epoch !== epoch) {
          changes.push({ at: Date.now(), epoch: lease.epoch, epochChanged: epoch !== undefined });
          epoch = lease.epoch;
        }
      } catch {
        // the database is away: nothing to sample
      }
      await delay(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await sampling;
      return changes;
    },
  };
}

async function untilProjectorCaughtUp(db: pg.Pool): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await db.query<{ applied: string | null; stored: string }>(`
        SELECT (SELECT events_applied FROM api.projection_checkpoints WHERE projection = 'api')::text AS applied,
               (SELECT count(*) FROM event_store.events)::text AS stored`);
      const applied = Number(rows[0]?.applied ?? 0);
      const stored = Number(rows[0]?.stored ?? 0);
      if (applied < stored) throw new Error(`the projector is ${stored - applied} events behind`);
    },
    120_000,
    100,
  );
}

/** `equal`, or the read models that differ from a fold of every stream. */
async function readModelsAgainstFold(
  stack: PlatformStack,
  db: pg.Pool,
  readModels: ReturnType<typeof createReadModelDb>,
): Promise<string> {
  const { rows } = await db.query<{ stream_id: string }>(
    'SELECT DISTINCT stream_id FROM event_store.events ORDER BY stream_id',
  );
  const expected = await foldedReadModels(
    stack.store,
    rows.map((row) => row.stream_id),
  );
  const actual = JSON.parse(JSON.stringify(await readModelSnapshot(readModels))) as Record<
    string,
    unknown[]
  >;
  const folded = JSON.parse(JSON.stringify(expected)) as Record<string, unknown[]>;
  const differing = Object.keys(folded).filter(
    (model) => !isDeepStrictEqual(actual[model], folded[model]),
  );
  return differing.length === 0 ? 'equal' : `${differing.join(', ')} differ`;
}
