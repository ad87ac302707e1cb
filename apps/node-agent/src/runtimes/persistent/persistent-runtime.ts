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

interface IdleProcess {
  readonly process: PersistentProcess;
  readonly pool: string;
  readonly timer: NodeJS.Timeout;
}

/**
 * Runs invocations of persistent functions: a pool of processes per function, started on first
 * use, one invocation per process at a time. A process that finished an invocation waits for the
 * next one; it is retired after the idle time, or sooner when another function needs its place.
 * A process that ended or was stopped is replaced by a fresh one at the next invocation.
 */
export class PersistentRuntime {
  /** Every process not yet ended, retiring ones included. */
  private readonly processes = new Set<PersistentProcess>();
  /** Least recently used first. */
  private idle: IdleProcess[] = [];
  private closed = false;

  constructor(private readonly settings: PersistentRuntimeSettings) {}

  async run(spec: PersistentRuntimeSpec, task: RunningTask): Promise<TaskResult> {
    if (this.closed) return failure('The node is stopping.');
    if (task.signal.aborted) return failure('The function was stopped.');
    const pool = poolOf(spec, task.functionId);
    let process = this.takeIdle(pool);
    if (process === undefined) {
      try {
        process = this.start(spec, task);
      } catch (error) {
        return couldNotStart(spec.command, error);
      }
    }
    const result = await process.invoke(task);
    this.keepIdle(process, pool);
    return result;
  }

  /**
   * Retires every process and resolves once all have ended (at most twice the kill grace). Called
   * once the node has stopped, so no invocation is in progress; one that still is, is stopped.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const { timer } of this.idle) clearTimeout(timer);
    this.idle = [];
    for (const process of this.processes) {
      if (process.available) process.retire('the node is stopping');
      else process.terminate('the node is stopping');
    }
    await Promise.all([...this.processes].map((process) => process.ended));
  }

  private start(spec: PersistentRuntimeSpec, task: RunningTask): PersistentProcess {
    this.makeRoom();
    const process = new PersistentProcess({
      spec,
      env: { ...this.settings.inheritedEnv, ...spec.env },
      limits: this.settings.limits,
      processGroups: this.settings.processGroups,
      onEnded: (ended) => this.forget(ended),
      logger: withFunction(this.settings.logger, task.functionId),
    });
    this.processes.add(process);
    return process;
  }

  /** Retires the least recently used idle process when the node holds as many as it may. */
  private makeRoom(): void {
    const live = [...this.processes].filter((process) => process.serving).length;
    if (live < this.settings.maxProcesses) return;
    const oldest = this.idle.shift();
    if (oldest === undefined) return;
    clearTimeout(oldest.timer);
    oldest.process.retire('another function needs its place');
  }

  private takeIdle(pool: string): PersistentProcess | undefined {
    // The most recently used one: the others then reach their idle time and are retired.
    for (let index = this.idle.length - 1; index >= 0; index--) {
      const entry = this.idle[index];
      if (entry?.pool !== pool || !entry.process.available) continue;
      this.idle.splice(index, 1);
      clearTimeout(entry.timer);
      return entry.process;
    }
    return undefined;
  }

  private keepIdle(process: PersistentProcess, pool: string): void {
    if (!process.available) return;
    if (this.closed) {
      process.retire('the node is stopping');
      return;
    }
    const timer = setTimeout(() => {
      this.idle = this.idle.filter((entry) => entry.process !== process);
      process.retire('idle');
    }, this.settings.idleMs);
    timer.unref();
    this.idle.push({ process, pool, timer });
  }

  private forget(process: PersistentProcess): void {
    this.processes.delete(process);
    const entry = this.idle.find((candidate) => candidate.process === process);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.idle = this.idle.filter((candidate) => candidate !== entry);
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
