import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import type { NodeHandle, PlatformStack, StackProcess } from '../testing/platform-stack.js';

// The faults the chaos run injects, one at a time, under load. Each breaks one part of the
// platform, puts it back after a few seconds (as a supervisor or an operator would), and says when
// it was back and which nodes it killed on purpose.

export const faultNames = [
  'leader-kill',
  'standby-kill',
  'projector-kill',
  'gateway-kill',
  'node-kill',
  'nats-kill',
  'postgres-restart',
  'leader-pause',
] as const;
export type FaultName = (typeof faultNames)[number];

export const faultDescriptions: Readonly<Record<FaultName, string>> = {
  'leader-kill': 'kill -9 of the leading scheduler',
  'standby-kill': 'kill -9 of a standby scheduler',
  'projector-kill': 'kill -9 of a projector',
  'gateway-kill': 'kill -9 of a gateway',
  'node-kill': 'kill -9 of a node agent running a task',
  'nats-kill': 'kill -9 of one nats-server of three',
  'postgres-restart': 'PostgreSQL stopped and started again',
  'leader-pause': 'SIGSTOP of the leading scheduler for longer than its lease, then SIGCONT',
};

export function isFaultName(name: string): name is FaultName {
  return (faultNames as readonly string[]).includes(name);
}

export interface FaultContext {
  readonly stack: PlatformStack;
  /** The stack's database, for finding the leader and a busy node. */
  readonly db: pg.Pool;
  /** The node agents, replaced in place when one is restarted. */
  readonly nodes: NodeHandle[];
  readonly nodeSlots: number;
  /** How long a killed process stays down. */
  readonly downMs: number;
  readonly leaseTtlMs: number;
  /** Which nats-server to kill: they take turns. */
  readonly natsServerIndex: number;
  readonly progress: (line: string) => void;
}

export interface FaultOutcome {
  /** When the broken part was running again (ms since the epoch). */
  readonly backAt: number;
  /** Nodes the fault killed: their loss is expected. */
  readonly killedNodes: readonly string[];
  /** What exactly was broken, for the report. */
  readonly target: string;
}

export async function injectFault(name: FaultName, context: FaultContext): Promise<FaultOutcome> {
  const { stack, downMs } = context;
  const killAndRestart = async (target: StackProcess): Promise<FaultOutcome> => {
    await stack.signalProcess(target.name, 'SIGKILL');
    context.progress(`${name}: killed ${target.name} (pid ${String(target.pid)})`);
    await delay(downMs);
    context.progress(`${name}: starting ${target.name} again`);
    await stack.restartProcess(target.name);
    return { backAt: Date.now(), killedNodes: [], target: target.name };
  };
  switch (name) {
    case 'leader-kill':
      return killAndRestart(await leadingScheduler(context));
    case 'standby-kill': {
      const leader = await leadingScheduler(context);
      const standby = schedulers(stack).find((process) => process.name !== leader.name);
      if (standby === undefined) throw new Error('standby-kill needs two schedulers');
      return killAndRestart(standby);
    }
    case 'projector-kill':
      return killAndRestart(firstOf(stack, 'projector'));
    case 'gateway-kill':
      return killAndRestart(firstOf(stack, 'gateway'));
    case 'node-kill': {
      const node = await busyNode(context);
      node.kill('SIGKILL');
      await node.process.exited;
      await delay(downMs);
      const index = context.nodes.indexOf(node);
      context.nodes[index] = await stack.startNode({
        nodeId: node.nodeId,
        slots: context.nodeSlots,
      });
      return { backAt: Date.now(), killedNodes: [node.nodeId], target: node.nodeId };
    }
    case 'nats-kill': {
      const cluster = stack.natsCluster;
      if (cluster === undefined) throw new Error('nats-kill needs the stack to run a NATS cluster');
      const index = context.natsServerIndex % cluster.members.length;
      await cluster.signal(index, 'SIGKILL');
      await delay(downMs);
      await cluster.restart(index);
      return { backAt: Date.now(), killedNodes: [], target: `nats-server ${index + 1}` };
    }
    case 'postgres-restart': {
      const postgres = stack.postgres;
      if (postgres === undefined)
        throw new Error('postgres-restart needs the stack’s own PostgreSQL');
      await postgres.stopServer();
      await delay(downMs);
      await postgres.startServer();
      return { backAt: Date.now(), killedNodes: [], target: `PostgreSQL :${postgres.port}` };
    }
    case 'leader-pause': {
      const leader = await leadingScheduler(context);
      await stack.signalProcess(leader.name, 'SIGSTOP');
      // Long enough for the lease to run out and a standby to take it and assign.
      await delay(context.leaseTtlMs + Math.max(downMs, 3_000));
      await stack.signalProcess(leader.name, 'SIGCONT');
      return { backAt: Date.now(), killedNodes: [], target: leader.name };
    }
  }
}

export interface Lease {
  readonly epoch: number;
  readonly pid: number | undefined;
  readonly expired: boolean;
}

/** The scheduler's lease as PostgreSQL holds it (holder: `host:pid:random`). */
export async function schedulerLease(db: pg.Pool): Promise<Lease | undefined> {
  const { rows } = await db.query<{ epoch: string; holder: string; expired: boolean }>(
    `SELECT epoch::text AS epoch, holder, expires_at < now() AS expired
       FROM leadership.leases WHERE name = 'scheduler'`,
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const pid = Number(row.holder.split(':')[1]);
  return {
    epoch: Number(row.epoch),
    pid: Number.isInteger(pid) ? pid : undefined,
    expired: row.expired,
  };
}

async function leadingScheduler(context: FaultContext): Promise<StackProcess> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const lease = await schedulerLease(context.db);
    const leader = schedulers(context.stack).find(
      (process) =>
        process.running && lease !== undefined && !lease.expired && process.pid === lease.pid,
    );
    if (leader !== undefined) return leader;
    await delay(100);
  }
  throw new Error('no scheduler of the stack holds the lease');
}

function schedulers(stack: PlatformStack): StackProcess[] {
  return stack.serviceProcesses().filter((process) => process.service === 'scheduler');
}

function firstOf(stack: PlatformStack, service: StackProcess['service']): StackProcess {
  const process = stack.serviceProcesses().find((candidate) => candidate.service === service);
  if (process === undefined) throw new Error(`the stack runs no ${service}`);
  return process;
}

/** The node of the newest assignment: with tasks that run half a second, one that is busy now. */
async function busyNode(context: FaultContext): Promise<NodeHandle> {
  const { rows } = await context.db.query<{ node_id: string }>(
    `SELECT data->>'nodeId' AS node_id FROM event_store.events
      WHERE type = 'TaskAssigned' ORDER BY global_position DESC LIMIT 1`,
  );
  const nodeId = rows[0]?.node_id;
  return context.nodes.find((node) => node.nodeId === nodeId) ?? (context.nodes[0] as NodeHandle);
}
