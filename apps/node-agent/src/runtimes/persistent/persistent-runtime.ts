import type { PersistentRuntimeSpec } from '@canopy/contracts';
import type { NodeLogger, RunningTask, TaskResult } from '@canopy/node-sdk';
import type { FunctionLimits } from '../function-limits.js';
import { couldNotStart, failure } from '../function-process.js';
import type { ProcessGroups } from '../process-groups.js';
import { PersistentProcess } from './persistent-process.js';

export interface PersistentRuntimeSettings {
  readonly limits: FunctionLimits;
  /** Variables of the agent's own environment that every function process gets (PATH, HOME...). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  readonly processGroups: ProcessGroups;
  /**
   * The most processes kept at once, across all functions: the node's slots, so that persistent
   * functions never hold more processes than per-invocation ones could.
   */
  readonly maxProcesses: number;
  /** How long a process may wait for its next invocation before it is retired. */
  readonly idleMs: number;
  readonly logger: NodeLogger;
}

interface PooledProcess {
  readonly process: PersistentProcess;
  readonly pool: string;
  /** Set while it serves no invocation: it retires when this fires. */
  idleTimer: NodeJS.Timeout | undefined;
  /** When it last finished an invocation, in the order of this runtime's invocations. */
  lastUsed: number;
}

/**
 * Runs invocations of persistent functions: a pool of processes per function, started on first
 * use, each serving up to its spec's concurrency at once (one by default). An invocation goes to the
 * busiest process of its pool that has room, so that load gathers on few processes; a new one is
 * started when none has. A process that serves nothing is retired after the idle time, or sooner
 * when another function needs its place. A process that ended or was stopped is replaced by a
 * fresh one at the next invocation.
 */
export class PersistentRuntime {
  /** Every process not yet ended, retiring ones included. */
  private readonly processes = new Map<PersistentProcess, PooledProcess>();
  private invocations = 0;
  private closed = false;

  constructor(private readonly settings: PersistentRuntimeSettings) {}

  async run(spec: PersistentRuntimeSpec, task: RunningTask): Promise<TaskResult> {
    if (this.closed) return failure('The node is stopping.');
    if (task.signal.aborted) return failure('The function was stopped.');
    const pool = poolOf(spec, task.functionId);
    let pooled = this.withRoom(pool);
    if (pooled === undefined) {
      try {
        pooled = this.start(spec, task, pool);
      } catch (error) {
        return couldNotStart(spec.command, error);
      }
    }
    clearTimeout(pooled.idleTimer);
    pooled.idleTimer = undefined;
    const result = await pooled.process.invoke(task);
    this.invocations += 1;
    pooled.lastUsed = this.invocations;
    this.keepIdle(pooled);
    return result;
  }

  /**
   * Retires every process and resolves once all have ended (at most twice the kill grace). Called
   * once the node has stopped, so no invocation is in progress; a process that still serves one is
   * stopped.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const { process, idleTimer } of this.processes.values()) {
      clearTimeout(idleTimer);
      if (process.inProgress === 0) process.retire('the node is stopping');
      else process.terminate('the node is stopping');
    }
    await Promise.all([...this.processes.keys()].map((process) => process.ended));
  }

  private start(spec: PersistentRuntimeSpec, task: RunningTask, pool: string): PooledProcess {
    this.makeRoom();
    const process = new PersistentProcess({
      spec,
      env: { ...this.settings.inheritedEnv, ...spec.env },
      limits: this.settings.limits,
      processGroups: this.settings.processGroups,
      onEnded: (ended) => this.forget(ended),
      logger: withFunction(this.settings.logger, task.functionId),
    });
    const pooled: PooledProcess = { process, pool, idleTimer: undefined, lastUsed: 0 };
    this.processes.set(process, pooled);
    return pooled;
  }

  /** Retires the least recently used idle process when the node holds as many as it may. */
  private makeRoom(): void {
    let live = 0;
    let oldest: PooledProcess | undefined;
    for (const pooled of this.processes.values()) {
      if (!pooled.process.serving) continue;
      live += 1;
      if (pooled.process.inProgress > 0) continue;
      if (oldest === undefined || pooled.lastUsed < oldest.lastUsed) oldest = pooled;
    }
    if (live < this.settings.maxProcesses || oldest === undefined) return;
    clearTimeout(oldest.idleTimer);
    oldest.idleTimer = undefined;
    oldest.process.retire('another function needs its place');
  }

  /** The busiest process of `pool` that can take one more invocation (the last used on a tie). */
  private withRoom(pool: string): PooledProcess | undefined {
    let best: PooledProcess | undefined;
    for (const pooled of this.processes.values()) {
      if (pooled.pool !== pool || !pooled.process.available) continue;
      if (
        best === undefined ||
        pooled.process.inProgress > best.process.inProgress ||
        (pooled.process.inProgress === best.process.inProgress && pooled.lastUsed > best.lastUsed)
      ) {
        best = pooled;
      }
    }
    return best;
  }

  private keepIdle(pooled: PooledProcess): void {
    const { process } = pooled;
    if (!process.serving || process.inProgress > 0 || pooled.idleTimer !== undefined) return;
    if (this.closed) {
      process.retire('the node is stopping');
      return;
    }
    pooled.idleTimer = setTimeout(() => {
      pooled.idleTimer = undefined;
      process.retire('idle');
    }, this.settings.idleMs);
    pooled.idleTimer.unref();
  }

  private forget(process: PersistentProcess): void {
    const pooled = this.processes.get(process);
    if (pooled === undefined) return;
    clearTimeout(pooled.idleTimer);
    this.processes.delete(process);
  }
}

// A pool holds the processes of one function started from one spec: a function's runtime may change
// from one version to the next, and a node never hands an invocation to a process started from
// another spec. The agent reads each distinct spec once and hands the same object to every task that
// carries it, so its JSON is written once too.
const specTexts = new WeakMap<PersistentRuntimeSpec, string>();

function poolOf(spec: PersistentRuntimeSpec, functionId: string): string {
  let text = specTexts.get(spec);
  if (text === undefined) {
    text = JSON.stringify(spec);
    specTexts.set(spec, text);
  }
  return `${functionId} ${text}`;
}

function withFunction(logger: NodeLogger, functionId: string): NodeLogger {
  return {
    debug: (fields, message) => logger.debug({ functionId, ...fields }, message),
    info: (fields, message) => logger.info({ functionId, ...fields }, message),
    warn: (fields, message) => logger.warn({ functionId, ...fields }, message),
    error: (fields, message) => logger.error({ functionId, ...fields }, message),
  };
}
