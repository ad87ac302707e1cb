import type { TaskEvent, TaskFailureReason } from '@canopy/contracts';
import type { TaskAttempt } from '@canopy/task-domain';
import type { TaskRowState } from '../../schema/tasks-table.js';

// A task as its row in api.tasks (and its attempts in api.task_attempts) shows it, evolved one event
// at a time exactly as the task domain's `evolve` folds the stream and `taskView` presents it: the
// gateway falls back on that fold while the projector catches up, so the two must agree (tested).
// Times are ISO 8601 strings, as in the events.

/** An attempt as the task domain keeps it: its row in api.task_attempts. */
export type ProjectedAttempt = TaskAttempt;

export interface ProjectedTask {
  readonly state: TaskRowState;
  /** 0..100; 100 once finished. */
  readonly progress: number;
  /** 0 until terminal, then the function's HTTP status or the platform's. */
  readonly status: number;
  /** The current assignment's node; once terminal, the node of the attempt that ended it. */
  readonly nodeId: string | null;
  /** Number of the latest attempt; 0 before the first assignment. */
  readonly attempt: number;
  readonly assignedAt: string | null;
  /** When the task finished or failed. */
  readonly finishedAt: string | null;
  readonly failureReason: TaskFailureReason | null;
  /** Every assignment so far, in the order they happened. */
  readonly attempts: readonly ProjectedAttempt[];
}

export type LaterTaskEvent = Exclude<TaskEvent, { type: 'TaskIssued' }>;

/** The task right after TaskIssued: waiting for a node. */
export const newlyIssuedTask: ProjectedTask = {
  state: 'pending',
  progress: 0,
  status: 0,
  nodeId: null,
  attempt: 0,
  assignedAt: null,
  finishedAt: null,
  failureReason: null,
  attempts: [],
};

export function isTerminal(state: TaskRowState): boolean {
  return state === 'finished' || state === 'failed';
}

/**
 * The HTTP status a terminal event gives the task: the function's own for TaskFinished (whatever it
 * is, 500 included), the platform's for TaskFailed (504 timeout, 503 no runner, 502 node lost, 499
 * cancelled; the contract parser has checked it matches the reason).
 */
export function terminalStatus(
  event: Extract<TaskEvent, { type: 'TaskFinished' | 'TaskFailed' }>,
): number {
  switch (event.type) {
    case 'TaskFinished':
      return event.data.response.status;
    case 'TaskFailed':
      return event.data.status;
    default:
      return unknownEvent(event);
  }
}

/**
 * Applies one event after TaskIssued. An event that `evolve` would ignore (anything after the task
 * is terminal, an unassignment of an attempt that is not the current one) returns `task` itself.
 */
export function evolveProjectedTask(task: ProjectedTask, event: LaterTaskEvent): ProjectedTask {
  if (isTerminal(task.state)) return task;
  switch (event.type) {
    case 'TaskAssigned': {
      const { nodeId, attempt, assignedAt } = event.data;
      return {
        ...task,
        state: 'assigned',
        nodeId,
        attempt,
        assignedAt,
        attempts: [
          ...task.attempts,
          { attempt, nodeId, assignedAt, unassigned: null, failed: null },
        ],
      };
    }
    case 'TaskUnassigned': {
      const { reason, at } = event.data;
      return backToPending(task, event.data, { unassigned: { reason, at } });
    }
    case 'TaskProgressed':
      return { ...task, progress: Math.max(task.progress, event.data.progress) };
    case 'TaskAttemptFailed': {
      const { status, retryAt, at } = event.data;
      return backToPending(task, event.data, { failed: { status, retryAt, at } });
    }
    case 'TaskFinished': {
      const { nodeId, attempt, finishedAt } = event.data;
      const finishing = task.attempts.find((known) => known.attempt === attempt);
      return {
        ...task,
        state: 'finished',
        progress: 100,
        status: terminalStatus(event),
        nodeId,
        assignedAt: finishing?.assignedAt ?? null,
        finishedAt,
        failureReason: null,
      };
    }
    case 'TaskFailed': {
      const last = task.attempts.at(-1);
      return {
        ...task,
        state: 'failed',
        status: terminalStatus(event),
        nodeId: last?.nodeId ?? null,
        assignedAt: last?.assignedAt ?? null,
        finishedAt: event.data.at,
        failureReason: event.data.reason,
      };
    }
    default:
      return unknownEvent(event);
  }
}

/**
 * The task waiting for a node again once its current attempt ended without an outcome (the node
 * was lost or gave it back, or the function's status is retried), with how the attempt ended; `task`
 * itself when the attempt is not the current one.
 */
function backToPending(
  task: ProjectedTask,
  ended: { readonly nodeId: string; readonly attempt: number },
  how: Pick<ProjectedAttempt, 'unassigned'> | Pick<ProjectedAttempt, 'failed'>,
): ProjectedTask {
  const { nodeId, attempt } = ended;
  if (task.state !== 'assigned' || task.nodeId !== nodeId || task.attempt !== attempt) return task;
  return {
    ...task,
    state: 'pending',
    nodeId: null,
    assignedAt: null,
    attempts: task.attempts.map((known) =>
      known.attempt === attempt ? { ...known, ...how } : known,
    ),
  };
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled task event ${JSON.stringify(event)}`);
}
