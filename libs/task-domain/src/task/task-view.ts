import { DEFAULT_TASK_PRIORITY } from '@canopy/contracts';
import type { TaskFailureReason, TaskRequirements, TaskResponse } from '@canopy/contracts';
import type { TaskAttempt, TaskState } from './task.js';

// The task as API readers see it (docs/architecture.md "Task lifecycle"). The gateway folds a task's
// stream into this when the read model has not caught up yet, so it must agree with the read model's
// projection.
// Times stay ISO 8601 here; the HTTP edge turns them into unix seconds.

export interface TaskView {
  readonly taskId: string;
  readonly accountId: string;
  readonly functionId: string;
  /** The version of the function the task was issued against, and runs. */
  readonly functionVersion: number;
  readonly scheduleId: string | null;
  readonly phase: Exclude<TaskState['phase'], 'NotIssued'>;
  readonly issuedAt: string;
  /** The current assignment's time; for a terminal task the last attempt's; null while waiting. */
  readonly assignedAt: string | null;
  /** When the task finished or failed; null until then. */
  readonly finishedAt: string | null;
  /** Node of the current assignment, or of the last attempt once terminal; null while waiting. */
  readonly nodeId: string | null;
  /** Attempts started so far. */
  readonly attempts: number;
  /** 0..100; a finished task shows 100. */
  readonly progress: number;
  /** 0 until terminal, then the function's HTTP status or the platform's (504, 503, 502, 499). */
  readonly status: number;
  readonly timeout: number;
  readonly requirements: TaskRequirements;
  /** 0..9, 9 first. */
  readonly priority: number;
  /** No node is offered the task before this time; null: no delay. */
  readonly notBefore: string | null;
  readonly response: TaskResponse | null;
  readonly failure: { readonly reason: TaskFailureReason; readonly message: string } | null;
}

/** Null for a task that was never issued. */
export function taskView(state: TaskState): TaskView | null {
  if (state.phase === 'NotIssued') return null;
  const { task, attempts, progress } = state;
  const common = {
    taskId: task.taskId,
    accountId: task.accountId,
    functionId: task.functionId,
    functionVersion: task.functionVersion,
    scheduleId: task.scheduleId,
    issuedAt: task.issuedAt,
    attempts: attempts.length,
    timeout: task.timeout,
    requirements: task.requirements,
    priority: task.priority ?? DEFAULT_TASK_PRIORITY,
    notBefore: task.notBefore ?? null,
  };
  const last: TaskAttempt | undefined = attempts.at(-1);

  switch (state.phase) {
    case 'Waiting':
      return {
        ...common,
        phase: 'Waiting',
        assignedAt: null,
        finishedAt: null,
        nodeId: null,
        progress,
        status: 0,
        response: null,
        failure: null,
      };
    case 'Assigned':
      return {
        ...common,
        phase: 'Assigned',
        assignedAt: state.current.assignedAt,
        finishedAt: null,
        nodeId: state.current.nodeId,
        progress,
        status: 0,
        response: null,
        failure: null,
      };
    case 'Finished': {
      const { finished } = state;
      const attempt = attempts.find((known) => known.attempt === finished.attempt);
      return {
        ...common,
        phase: 'Finished',
        assignedAt: attempt?.assignedAt ?? null,
        finishedAt: finished.finishedAt,
        nodeId: finished.nodeId,
        progress: 100,
        status: finished.response.status,
        response: finished.response,
        failure: null,
      };
    }
    case 'Failed': {
      const { failure } = state;
      return {
        ...common,
        phase: 'Failed',
        assignedAt: last?.assignedAt ?? null,
        finishedAt: failure.at,
        nodeId: last?.nodeId ?? null,
        progress,
        status: failure.status,
        response: null,
        failure: { reason: failure.reason, message: failure.message },
      };
    }
    default:
      return unknownPhase(state);
  }
}

function unknownPhase(state: never): never {
  throw new Error(`Unhandled task phase ${JSON.stringify(state)}`);
}
