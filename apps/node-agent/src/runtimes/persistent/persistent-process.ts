import type { ChildProcess } from 'node:child_process';
import { ContractViolationError } from '@canopy/contracts';
import type { PersistentRuntimeSpec } from '@canopy/contracts';
import type { NodeLogger, RunningTask, TaskResult } from '@canopy/node-sdk';
import { ByteTail } from '../byte-tail.js';
import type { FunctionLimits } from '../function-limits.js';
import {
  couldNotStart,
  errorCode,
  exitFailure,
  failure,
  spawnFunctionProcess,
  terminateFunctionProcess,
} from '../function-process.js';
import type { ProcessGroups } from '../process-groups.js';
import { LineSplitter } from './line-splitter.js';
import {
  cancelLine,
  invocationId,
  invocationLine,
  readFunctionMessage,
} from './persistent-framing.js';

// Room on a response line beyond its base64 body: the id, status, content type and headers.
const RESPONSE_LINE_OVERHEAD_BYTES = 64 * 1024;

export interface PersistentProcessOptions {
  readonly spec: PersistentRuntimeSpec;
  readonly env: Readonly<Record<string, string>>;
  readonly limits: FunctionLimits;
  readonly processGroups: ProcessGroups;
  /** Called once, when the process has ended and its stdout and stderr are closed. */
  readonly onEnded: (process: PersistentProcess) => void;
  /** Carries the function's id. */
  readonly logger: NodeLogger;
}

interface Invocation {
  readonly id: string;
  readonly task: RunningTask;
  readonly resolve: (result: TaskResult) => void;
  readonly onAbort: () => void;
  /** Decided before the process has ended: why the invocation fails once it has. */
  failure?: TaskResult;
  /** Set once a cancel line was sent: the process is stopped if the answer does not follow. */
  cancelTimer?: NodeJS.Timeout;
}

/**
 * One process of a persistent function: it serves invocations over JSON lines (see
 * persistent-framing.ts), up to its spec's `concurrency` at once (one after another by default),
 * until it ends by itself or is stopped. Any breach of the framing or of the output limits, or an
 * exit ends it; the invocations in progress then fail the way a per-invocation process would, once
 * the process is gone. A task that must stop stops a process serving one invocation at a time; a
 * process serving several is sent a cancel line for it, and is stopped only if it does not answer
 * that invocation within the kill grace.
 */
export class PersistentProcess {
  /** Resolves once the process has ended. */
  readonly ended: Promise<void>;
  /** Invocations it serves at once at most. */
  readonly concurrency: number;
  private readonly child: ChildProcess;
  private readonly lines: LineSplitter;
  private readonly stderr: ByteTail;
  private readonly invocations = new Map<string, Invocation>();
  private startError: unknown;
  private stopping = false;
  private killTimer: NodeJS.Timeout | undefined;
  private retireTimer: NodeJS.Timeout | undefined;

  /** Starts the process; throws when Node refuses to (a command that cannot run ends it instead). */
  constructor(private readonly options: PersistentProcessOptions) {
    const { limits } = options;
    this.concurrency = options.spec.concurrency ?? 1;
    this.lines = new LineSplitter(
      Math.ceil(limits.maxResponseBytes / 3) * 4 + RESPONSE_LINE_OVERHEAD_BYTES,
    );
    this.stderr = new ByteTail(limits.stderrTailBytes);
    this.child = spawnFunctionProcess({
      command: options.spec.command,
      args: options.spec.args ?? [],
      env: options.env,
      stdin: 'pipe',
      processGroups: options.processGroups,
    });
    let ended: () => void = () => undefined;
    this.ended = new Promise((resolve) => (ended = resolve));

    this.child.on('error', (error) => {
      // Only a failed start leaves no pid; other errors (a failed kill) are followed by 'close'.
      if (this.child.pid === undefined) this.startError = error;
    });
    this.child.stdin?.on('error', () => {
      // A process that exits or closes its stdin ends with 'close', which reports it.
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.readStdout(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.stderr.append(chunk));
    this.child.on('close', (code, signal) => {
      this.stopping = true;
      clearTimeout(this.killTimer);
      clearTimeout(this.retireTimer);
      this.endInvocations(code, signal);
      if (this.startError === undefined) {
        options.logger.info(
          { pid: this.pid ?? null, code, signal },
          'persistent function process ended',
        );
      } else {
        options.logger.warn(
          { reason: errorCode(this.startError) },
          'persistent function process could not start',
        );
      }
      options.onEnded(this);
      ended();
    });
    if (this.child.pid !== undefined) {
      options.logger.info({ pid: this.child.pid }, 'persistent function process started');
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Neither stopping nor ended: it serves invocations, or waits for the next one. */
  get serving(): boolean {
    return !this.stopping;
  }

  /** Invocations handed to it and not yet answered (nor failed). */
  get inProgress(): number {
    return this.invocations.size;
  }

  /** Whether it can take an invocation: serving, and serving fewer than its concurrency. */
  get available(): boolean {
    return !this.stopping && this.invocations.size < this.concurrency;
  }

  /**
   * Hands `task` to the process and resolves with its response, or with a failure once the
   * process has ended; never rejects. The task's abort stops the process, or with a concurrency
   * above 1 cancels the invocation. Only when available.
   */
  invoke(task: RunningTask): Promise<TaskResult> {
    if (!this.available) throw new Error('the persistent function process is not available');
    // Stopped before it was handed over: nothing to stop, and the process serves on.
    if (task.signal.aborted) return Promise.resolve(failure('The function was stopped.'));
    return new Promise((resolve) => {
      const id = invocationId(task);
      const onAbort = (): void => this.stopInvocation(id);
      this.invocations.set(id, { id, task, resolve, onAbort });
      task.signal.addEventListener('abort', onAbort, { once: true });
      this.child.stdin?.write(invocationLine(task));
    });
  }

  /**
   * Takes no more invocations and closes its stdin, on which the process must exit; one that has
   * not after the grace is terminated.
   */
  retire(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.options.logger.info(
      { pid: this.pid ?? null, reason },
      'persistent function process retired',
    );
    this.child.stdin?.end();
    this.retireTimer = setTimeout(
      () => this.terminate('it did not exit after its stdin closed'),
      this.options.limits.killGraceMs,
    );
  }

  /** Stops it now: stdin closed, SIGTERM to its process group, SIGKILL after the grace. */
  terminate(reason: string, taskId?: string): void {
    if (this.killTimer !== undefined) return;
    this.stopping = true;
    this.options.logger.warn(
      { pid: this.pid ?? null, reason, ...(taskId === undefined ? {} : { taskId }) },
      'stopping persistent function process',
    );
    this.child.stdin?.destroy();
    this.killTimer = terminateFunctionProcess(this.child, this.options.limits.killGraceMs);
  }

  private readStdout(chunk: Buffer): void {
    if (this.killTimer !== undefined) return;
    const lines = this.lines.push(chunk);
    if (lines === 'too-long') {
      this.fail(
        `The function's response is larger than ${this.options.limits.maxResponseBytes} bytes, the most a response may have.`,
        'its stdout line is too long',
      );
      return;
    }
    for (const line of lines) {
      if (this.killTimer !== undefined) return;
      this.readLine(line);
    }
  }

  private readLine(line: Buffer): void {
    if (this.invocations.size === 0) {
      this.terminate('it wrote to stdout while no invocation was in progress');
      return;
    }
    let message: ReturnType<typeof readFunctionMessage>;
    try {
      message = readFunctionMessage(line, [...this.invocations.keys()]);
    } catch (error) {
      if (!(error instanceof ContractViolationError)) throw error;
      this.fail(
        `The function wrote a line to stdout that is not valid framing. ${error.message}.`,
        'it wrote a line that is not valid framing',
      );
      return;
    }
    const invocation = this.invocations.get(message.id);
    if (invocation === undefined) return;
    if (message.kind === 'progress') {
      if (!invocation.task.signal.aborted) invocation.task.progress(message.percent);
      return;
    }
    const { result } = message;
    if (result.body.length > this.options.limits.maxResponseBytes) {
      this.fail(
        `The function's response is larger than ${this.options.limits.maxResponseBytes} bytes, the most a response may have.`,
        'its response is too large',
      );
      return;
    }
    this.invocations.delete(invocation.id);
    clearTimeout(invocation.cancelTimer);
    invocation.task.signal.removeEventListener('abort', invocation.onAbort);
    // The answer to a cancel line: the node reports the abort its own way and does not use it.
    invocation.resolve(
      invocation.task.signal.aborted ? failure('The function was stopped.') : result,
    );
  }

  /**
   * The invocation's task must stop. A process serving one invocation at a time is stopped; one
   * serving several is asked to cancel it, and stopped if it has not answered it after the grace.
   */
  private stopInvocation(id: string): void {
    const invocation = this.invocations.get(id);
    if (invocation === undefined || invocation.cancelTimer !== undefined) return;
    if (this.concurrency === 1 || this.stopping) {
      this.terminate('the task was stopped', invocation.task.taskId);
      return;
    }
    this.child.stdin?.write(cancelLine(id));
    invocation.cancelTimer = setTimeout(() => {
      const others = this.invocations.size - 1;
      invocation.failure ??= failure('The function was stopped.');
      for (const other of this.invocations.values()) {
        other.failure ??= failure(
          `The function's process was stopped: it did not answer the cancelled invocation ${id} within ${this.options.limits.killGraceMs} ms.`,
        );
      }
      this.terminate(
        `it did not answer a cancelled invocation in time (${others} others in progress fail with it)`,
        invocation.task.taskId,
      );
    }, this.options.limits.killGraceMs);
  }

  /** The invocations in progress fail with `message` once the process, stopped now, has ended. */
  private fail(message: string, reason: string): void {
    for (const invocation of this.invocations.values()) invocation.failure ??= failure(message);
    const [first] = this.invocations.values();
    this.terminate(reason, first?.task.taskId);
  }

  private endInvocations(code: number | null, signal: NodeJS.Signals | null): void {
    for (const invocation of this.invocations.values())
      this.endInvocation(invocation, code, signal);
    this.invocations.clear();
  }

  private endInvocation(
    invocation: Invocation,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    clearTimeout(invocation.cancelTimer);
    invocation.task.signal.removeEventListener('abort', invocation.onAbort);
    if (this.startError !== undefined) {
      invocation.resolve(couldNotStart(this.options.spec.command, this.startError));
    } else if (invocation.failure !== undefined) {
      invocation.resolve(invocation.failure);
    } else if (invocation.task.signal.aborted) {
      // The node reports the abort its own way; this result is not used.
      invocation.resolve(failure('The function was stopped.'));
    } else {
      invocation.resolve(exitFailure(code, signal, this.stderr.bytes()));
    }
  }
}
