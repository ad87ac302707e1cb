import type { JsonValue } from '@canopy/contracts';
import { progressPercent } from '../progress-coalescer.js';
import { TaskAbortedError } from '../task-run.js';
import type { RunningTask, TaskAbort } from '../task-run.js';
import type { TraceContextHeaders } from '../run-tracing.js';
import { randomObjectId } from './sample-assignment.js';

export interface TestRunningTaskOptions {
  readonly taskId?: string;
  readonly attempt?: number;
  readonly functionId?: string;
  readonly accountId?: string;
  readonly runtime?: JsonValue;
  readonly request?: { query?: string; contentType?: string | null; body?: Buffer | string };
  readonly timeout?: number;
  /** The run's W3C trace context, as a traced assignment hands it. */
  readonly traceContext?: TraceContextHeaders;
  /** Called with each progress value the handler reports (after the same checks the node makes). */
  readonly onProgress?: (percent: number) => void;
}

export interface TestRunningTask {
  readonly task: RunningTask;
  /** Every progress value reported so far, rounded down as the node sends them. */
  readonly progress: readonly number[];
  /** Aborts the task's signal as the node would (default: cancelled by the scheduler). */
  abort(abort?: TaskAbort): void;
}

/**
 * A {@link RunningTask} for testing a handler without NATS: it records progress and lets the test
 * abort the task. No timeout fires by itself.
 */
export function testRunningTask(options: TestRunningTaskOptions = {}): TestRunningTask {
  const controller = new AbortController();
  const progress: number[] = [];
  const body = options.request?.body ?? '';
  const task: RunningTask = {
    taskId: options.taskId ?? randomObjectId(),
    attempt: options.attempt ?? 1,
    functionId: options.functionId ?? randomObjectId(),
    accountId: options.accountId ?? randomObjectId(),
    runtime: options.runtime ?? null,
    request: {
      query: options.request?.query ?? '',
      contentType:
        options.request?.contentType === undefined ? 'text/plain' : options.request.contentType,
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    },
    timeout: options.timeout ?? 30,
    signal: controller.signal,
    traceContext: options.traceContext,
    progress: (value) => {
      const percent = progressPercent(value);
      progress.push(percent);
      options.onProgress?.(percent);
    },
  };
  return {
    task,
    progress,
    abort: (abort = { kind: 'cancelled', reason: 'CANCELLED' }) => {
      if (!controller.signal.aborted) controller.abort(new TaskAbortedError(abort));
    },
  };
}
