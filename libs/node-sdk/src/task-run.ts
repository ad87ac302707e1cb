import type { Assignment, Cancellation, JsonValue } from '@canopy/contracts';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { TaskResult } from './function-response.js';
import { ProgressCoalescer, progressPercent } from './progress-coalescer.js';
import type { RunTrace, TraceContextHeaders } from './run-tracing.js';
import type { AttemptRef } from './slot-ledger.js';

/** One assigned task attempt, as the handler sees it. */
export interface RunningTask {
  readonly taskId: string;
  /** Attempt number (1, 2, ...): a task the scheduler took back and reassigned runs again with the next one. */
  readonly attempt: number;
  readonly functionId: string;
  readonly accountId: string;
  /** The function's runtime spec, passed through by the scheduler; the node decides what it means. */
  readonly runtime: JsonValue;
  readonly request: TaskInvocation;
  /** Seconds the function may run; the {@link signal} aborts when they are over. */
  readonly timeout: number;
  /**
   * Aborts when the task must stop: cancelled by the scheduler, past its timeout, or the node is
   * stopping. `signal.reason` is then a {@link TaskAbortedError} saying which. Once it aborts, whatever
   * the handler returns or throws is ignored (see {@link TaskAbortedError}); the handler should stop
   * its work and settle promptly.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress, 0..100 (fractions are rounded down; throws a RangeError outside that range).
   * Returns at once: values are sent in the background, only increases count, and while one send is
   * in flight only the latest new value is kept. Nothing is sent once the handler has settled.
   */
  progress(percent: number): void;
  /**
   * The W3C trace context of this run, to pass on to what runs the function (the reference agent
   * sets `TRACEPARENT` / `TRACESTATE` in a process's environment, `traceparent` / `tracestate` on an
   * HTTP call) so that its spans join the task's trace: the run's own span when the process traces
   * with OpenTelemetry, otherwise the scheduler's. Undefined when the task is not traced.
   */
  readonly traceContext: TraceContextHeaders | undefined;
}

/** The client's HTTP request, as the function receives it. */
export interface TaskInvocation {
  /** Raw query string without the leading '?', e.g. `a=1&b=2`; '' when there is none. */
  readonly query: string;
  readonly contentType: string | null;
  readonly body: Buffer;
}

/**
 * Runs one task attempt: `(task) => result`. A result is reported to the scheduler as the function's
 * response; a throw is reported as a 500 with a generic message (the error is logged, not sent).
 */
export type TaskHandler = (task: RunningTask) => Promise<TaskResult> | TaskResult;

/** Why a task's signal aborted. */
export type TaskAbort =
  /** The scheduler took the attempt away; no result is reported. */
  | { readonly kind: 'cancelled'; readonly reason: Cancellation['reason'] }
  /** The task's timeout passed; the node reports a 504 response. */
  | { readonly kind: 'timeout'; readonly timeoutSeconds: number }
  /** The node is stopping; no result is reported, the goodbye hands the attempt back. */
  | { readonly kind: 'stopping' };

/** The `reason` of an aborted {@link RunningTask.signal}. */
export class TaskAbortedError extends Error {
  constructor(readonly abort: TaskAbort) {
    super(describeAbort(abort));
    this.name = 'TaskAbortedError';
  }
}

export type RunOutcome =
  | { readonly kind: 'responded'; readonly result: TaskResult }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'aborted'; readonly abort: TaskAbort };

/** Sends one progress value until acknowledged or superseded; 'final' ends progress for the attempt. */
export type ProgressSender = (
  ref: AttemptRef,
  percent: number,
  superseded: () => boolean,
  signal: AbortSignal,
  /** Trace context headers of the run, when it has any. */
  headers: MsgHdrs | undefined,
) => Promise<'sent' | 'final'>;

// setTimeout fires at once for delays above 2^31 - 1 ms (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The reason progress sends are aborted with once a run is over. */
const PROGRESS_ENDED = new Error('the run is over; no more progress is sent');

/** The life of one admitted attempt on this node: its handler, timeout, abort and progress sends. */
export class TaskRun {
  readonly ref: AttemptRef;
  private readonly controller = new AbortController();
  /** Ends the progress sends: made with the first one (aborting one without a reason is costly). */
  private progressController: AbortController | undefined;
  private readonly coalescer = new ProgressCoalescer();

  constructor(
    private readonly assignment: Assignment,
    private readonly sendProgress: ProgressSender,
    /** The run's span and the context its reports carry. */
    readonly trace: RunTrace,
  ) {
    this.ref = { taskId: assignment.taskId, attempt: assignment.attempt };
  }

  /** Aborts the handler's signal; the first reason wins. */
  abort(abort: TaskAbort): void {
    if (!this.controller.signal.aborted) this.controller.abort(new TaskAbortedError(abort));
  }

  get abortReason(): TaskAbort | undefined {
    const reason: unknown = this.controller.signal.reason;
    return reason instanceof TaskAbortedError ? reason.abort : undefined;
  }

  /** Runs the handler to completion; never rejects. Progress sends end when it settles. */
  async execute(handler: TaskHandler): Promise<RunOutcome> {
    const { assignment } = this;
    const timer = setTimeout(
      () => this.abort({ kind: 'timeout', timeoutSeconds: assignment.timeout }),
      Math.min(assignment.timeout * 1_000, MAX_TIMER_MS),
    );
    const task: RunningTask = {
      taskId: assignment.taskId,
      attempt: assignment.attempt,
      functionId: assignment.functionId,
      accountId: assignment.accountId,
      runtime: assignment.runtime,
      request: {
        query: assignment.request.query,
        contentType: assignment.request.contentType,
        body: Buffer.from(assignment.request.body, 'base64'),
      },
      timeout: assignment.timeout,
      signal: this.controller.signal,
      progress: (percent) => this.offerProgress(percent),
      traceContext: this.trace.headers,
    };
    let outcome: RunOutcome;
    try {
      const result = await handler(task);
      const abort = this.abortReason;
      outcome = abort === undefined ? { kind: 'responded', result } : { kind: 'aborted', abort };
    } catch (error) {
      const abort = this.abortReason;
      outcome = abort === undefined ? { kind: 'threw', error } : { kind: 'aborted', abort };
    } finally {
      clearTimeout(timer);
      this.endProgress();
    }
    this.trace.end(outcome);
    return outcome;
  }

  /** No progress is sent from now on; a send in flight is not retried. */
  endProgress(): void {
    this.coalescer.close();
    this.progressController?.abort(PROGRESS_ENDED);
  }

  private offerProgress(percent: number): void {
    if (this.coalescer.offer(progressPercent(percent))) void this.sendProgressWhileWaiting();
  }

  private async sendProgressWhileWaiting(): Promise<void> {
    const headers = this.trace.reportHeaders();
    this.progressController ??= new AbortController();
    const { signal } = this.progressController;
    for (let value = this.coalescer.take(); value !== undefined; value = this.coalescer.take()) {
      const outcome = await this.sendProgress(
        this.ref,
        value,
        () => this.coalescer.superseded,
        signal,
        headers,
      );
      if (outcome === 'final') this.endProgress();
    }
  }
}

function describeAbort(abort: TaskAbort): string {
  switch (abort.kind) {
    case 'cancelled':
      return `the scheduler cancelled the task (${abort.reason})`;
    case 'timeout':
      return `the task exceeded its timeout of ${abort.timeoutSeconds} s`;
    case 'stopping':
      return 'the node is stopping';
    default: {
      const unknown: never = abort;
      throw new Error(`unknown task abort ${JSON.stringify(unknown)}`);
    }
  }
}
