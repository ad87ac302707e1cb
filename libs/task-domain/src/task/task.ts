import {
  isRetriedStatus,
  parseTaskEvent,
  retryDelayMs,
  sameJson,
  taskEvent,
  taskFailureStatus,
} from '@canopy/contracts';
import type {
  Aggregate,
  AssignTask,
  CancelTask,
  FailTask,
  FinishTask,
  IssueTask,
  RecordProgress,
  TaskCommand,
  TaskEvent,
  TaskFailureReason,
  TaskIssued,
  TaskResponse,
  UnassignReason,
  UnassignTask,
} from '@canopy/contracts';
import { TaskRuleViolation } from './task-rule-violation.js';

// The task aggregate, stream `task-<taskId>`. Rules: docs/architecture.md "Task lifecycle".

// ─── Events ──────────────────────────────────────────────────────────────────────────────────────
// TaskEvent (TaskIssued, TaskAssigned, TaskUnassigned, TaskProgressed, TaskAttemptFailed,
// TaskFinished, TaskFailed) is the contract type from @canopy/contracts.

// ─── State ───────────────────────────────────────────────────────────────────────────────────────

export interface TaskAttempt {
  readonly attempt: number;
  readonly nodeId: string;
  readonly assignedAt: string;
  readonly unassigned: { readonly reason: UnassignReason; readonly at: string } | null;
  /** Set when the function answered with a status its retry policy retries (TaskAttemptFailed). */
  readonly failed: {
    readonly status: number;
    readonly retryAt: string;
    readonly at: string;
  } | null;
}

interface IssuedTask {
  readonly task: TaskIssued['data'];
  /** Every assignment so far, attempt 1 first. */
  readonly attempts: readonly TaskAttempt[];
  /** Highest progress any attempt reported: progress never goes back, even when a new attempt starts over. */
  readonly progress: number;
}

export type TaskState =
  | { readonly phase: 'NotIssued' }
  | (IssuedTask & { readonly phase: 'Waiting' })
  | (IssuedTask & { readonly phase: 'Assigned'; readonly current: TaskAttempt })
  | (IssuedTask & {
      readonly phase: 'Finished';
      readonly finished: {
        readonly nodeId: string;
        readonly attempt: number;
        readonly response: TaskResponse;
        readonly finishedAt: string;
      };
    })
  | (IssuedTask & {
      readonly phase: 'Failed';
      readonly failure: {
        readonly reason: TaskFailureReason;
        readonly status: number;
        readonly message: string;
        readonly at: string;
      };
    });

export type TaskPhase = TaskState['phase'];
type IssuedTaskState = Exclude<TaskState, { phase: 'NotIssued' }>;

export function initialState(): TaskState {
  return { phase: 'NotIssued' };
}

// ─── Evolve ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Applies one stored event. Events are facts, so evolve never throws; an event that cannot follow the
 * current phase (decide never produces one) leaves the state as it is, and nothing changes a terminal task.
 */
export function evolve(state: TaskState, event: TaskEvent): TaskState {
  if (event.type === 'TaskIssued') {
    return state.phase === 'NotIssued'
      ? { phase: 'Waiting', task: event.data, attempts: [], progress: 0 }
      : state;
  }
  if (state.phase === 'NotIssued' || state.phase === 'Finished' || state.phase === 'Failed')
    return state;
  const { task, attempts, progress } = state;

  switch (event.type) {
    case 'TaskAssigned': {
      const { nodeId, attempt, assignedAt } = event.data;
      const current: TaskAttempt = {
        attempt,
        nodeId,
        assignedAt,
        unassigned: null,
        failed: null,
      };
      return { phase: 'Assigned', task, attempts: [...attempts, current], progress, current };
    }
    case 'TaskUnassigned': {
      const { nodeId, attempt, reason, at } = event.data;
      if (state.phase !== 'Assigned' || !isAttempt(state.current, nodeId, attempt)) return state;
      const ended = attempts.map((known) =>
        known.attempt === attempt ? { ...known, unassigned: { reason, at } } : known,
      );
      return { phase: 'Waiting', task, attempts: ended, progress };
    }
    case 'TaskProgressed':
      return { ...state, progress: Math.max(progress, event.data.progress) };
    case 'TaskAttemptFailed': {
      const { nodeId, attempt, status, retryAt, at } = event.data;
      if (state.phase !== 'Assigned' || !isAttempt(state.current, nodeId, attempt)) return state;
      const ended = attempts.map((known) =>
        known.attempt === attempt ? { ...known, failed: { status, retryAt, at } } : known,
      );
      return { phase: 'Waiting', task, attempts: ended, progress };
    }
    case 'TaskFinished': {
      const { nodeId, attempt, response, finishedAt } = event.data;
      return {
        phase: 'Finished',
        task,
        attempts,
        progress,
        finished: { nodeId, attempt, response, finishedAt },
      };
    }
    case 'TaskFailed': {
      const { reason, status, message, at } = event.data;
      return {
        phase: 'Failed',
        task,
        attempts,
        progress,
        failure: { reason, status, message, at },
      };
    }
    default:
      return unknownEvent(event);
  }
}

/** Folds a task's stream, oldest event first. */
export function foldTask(events: readonly TaskEvent[]): TaskState {
  return events.reduce(evolve, initialState());
}

// ─── Commands ────────────────────────────────────────────────────────────────────────────────────
// TaskCommand (IssueTask, AssignTask, UnassignTask, RecordProgress, FinishTask, FailTask,
// CancelTask) is the contract type from @canopy/contracts. Commands carry every time (`now`) and id.
//
// Idempotency: a command that repeats one already applied yields []. Times (`now`) are not compared:
// a retried command is stamped anew. Repeats are judged as follows:
//   IssueTask     - the same task data (including issuedAt), in any phase, terminal included, so a
//                   gateway retrying a request whose first reply was lost still gets its 201;
//   AssignTask    - the current assignment (same node and attempt); an ended one is rejected, since
//                   answering [] would tell the caller the node holds the task;
//   UnassignTask  - an attempt of that node that has already ended (once the task is terminal,
//                   only the unassignment of the last attempt, which failed it);
//   RecordProgress - any value not above the progress reached (progress never decreases);
//   FinishTask    - the same node, attempt and response as the finish, or the same node, attempt and
//                   status as a failed attempt (whose body is not kept);
//   FailTask      - a failure with the same reason (the message is descriptive only);
//   CancelTask    - a task that is already cancelled, by whatever request or command.

// ─── Decide ──────────────────────────────────────────────────────────────────────────────────────

export function decide(command: TaskCommand, state: TaskState): TaskEvent[] {
  switch (command.type) {
    case 'IssueTask':
      return issueTask(command, state);
    case 'AssignTask':
      return assignTask(command, issued(state, command.data.taskId));
    case 'UnassignTask':
      return unassignTask(command, issued(state, command.data.taskId));
    case 'RecordProgress':
      return recordProgress(command, issued(state, command.data.taskId));
    case 'FinishTask':
      return finishTask(command, issued(state, command.data.taskId));
    case 'FailTask':
      return failTask(command, issued(state, command.data.taskId));
    case 'CancelTask':
      return cancelTask(command, state);
    default:
      return unknownCommand(command);
  }
}

// decide, evolve and initialState as one value, for given/when/then tests and the aggregate below.
export const taskDecider = { decide, evolve, initialState };

/** The decider and the parser of the stream's events: what a command handler takes. */
export const taskAggregate: Aggregate<TaskCommand, TaskEvent, TaskState> = {
  decider: taskDecider,
  parseEvent: parseTaskEvent,
};

function issueTask({ data }: IssueTask, state: TaskState): TaskEvent[] {
  if (state.phase === 'NotIssued') return [taskEvent('TaskIssued', data)];
  if (state.task.taskId !== data.taskId) throw wrongTask(state, data.taskId);
  if (sameJson(state.task, data)) return [];
  throw new TaskRuleViolation(
    'TASK_ALREADY_ISSUED',
    data.taskId,
    'the task was already issued with different data',
  );
}

function assignTask({ data }: AssignTask, state: IssuedTaskState): TaskEvent[] {
  const { taskId, nodeId, attempt, now } = data;
  switch (state.phase) {
    case 'Finished':
    case 'Failed':
      throw terminal(state);
    case 'Assigned':
      if (isAttempt(state.current, nodeId, attempt)) return [];
      throw new TaskRuleViolation(
        'INVALID_TRANSITION',
        taskId,
        `the task is assigned to node ${state.current.nodeId} (attempt ${state.current.attempt}); unassign it first`,
      );
    case 'Waiting': {
      const next = lastAttempt(state) + 1;
      if (attempt !== next) {
        throw new TaskRuleViolation(
          'NOT_CURRENT_ATTEMPT',
          taskId,
          `the next attempt is ${next}, not ${attempt}`,
        );
      }
      if (spentAttempts(state) >= state.task.maxAttempts) {
        throw new TaskRuleViolation(
          'ATTEMPTS_EXHAUSTED',
          taskId,
          `all ${state.task.maxAttempts} attempts allowed were spent`,
        );
      }
      return [taskEvent('TaskAssigned', { taskId, nodeId, attempt, assignedAt: now })];
    }
    default:
      return unknownPhase(state);
  }
}

/**
 * Ends the current attempt. An attempt the node refused (REJECTED) never ran and spends nothing; any
 * other end spends it, and when that was the last one allowed the task fails at once instead of
 * waiting for an assignment that can never come: NODE_LOST (502) whatever the unassign reason,
 * because on every one of them the node we relied on did not deliver, and the message keeps the
 * precise reason.
 */
function unassignTask({ data }: UnassignTask, state: IssuedTaskState): TaskEvent[] {
  const { taskId, nodeId, attempt, reason, now } = data;
  const isEndedAttempt = state.attempts.some(
    (known) => isAttempt(known, nodeId, attempt) && known.unassigned !== null,
  );
  switch (state.phase) {
    case 'Finished':
      throw terminal(state);
    case 'Failed': {
      // Only the unassignment that failed the task (its last attempt) may repeat here.
      const failedByThisUnassignment =
        isEndedAttempt && attempt === lastAttempt(state) && state.failure.reason === 'NODE_LOST';
      if (failedByThisUnassignment) return [];
      throw terminal(state);
    }
    case 'Waiting':
    case 'Assigned': {
      if (state.phase === 'Assigned' && isAttempt(state.current, nodeId, attempt)) {
        const unassigned = taskEvent('TaskUnassigned', {
          taskId,
          nodeId,
          attempt,
          reason,
          at: now,
        });
        const { maxAttempts } = state.task;
        if (reason === 'REJECTED' || spentAttempts(state) < maxAttempts) return [unassigned];
        const message = `attempt ${attempt} ended on node ${nodeId} (${reason}) and all ${maxAttempts} attempts allowed were spent`;
        return [
          unassigned,
          taskEvent('TaskFailed', {
            taskId,
            reason: 'NODE_LOST',
            status: taskFailureStatus.NODE_LOST,
            message,
            at: now,
          }),
        ];
      }
      if (isEndedAttempt) return [];
      throw notCurrent(state, nodeId, attempt);
    }
    default:
      return unknownPhase(state);
  }
}

function recordProgress({ data }: RecordProgress, state: IssuedTaskState): TaskEvent[] {
  const { taskId, nodeId, attempt, progress, now } = data;
  const assigned = currentAttempt(state, nodeId, attempt);
  if (!Number.isInteger(progress) || progress < 0 || progress > 100) {
    throw new TaskRuleViolation(
      'INVALID_PROGRESS',
      taskId,
      `progress must be an integer from 0 to 100, not ${progress}`,
    );
  }
  if (progress <= assigned.progress) return [];
  return [taskEvent('TaskProgressed', { taskId, nodeId, attempt, progress, at: now })];
}

/**
 * The function's answer on the current attempt. It finishes the task unless the task's retry policy
 * retries its status and the attempts that answered so far (this one included) are fewer than the
 * policy's `maxAttempts`: then the attempt failed, and the task waits out the backoff before the
 * next (TaskAttemptFailed). The last attempt's answer is the task's result, whatever it is.
 */
function finishTask({ data }: FinishTask, state: IssuedTaskState): TaskEvent[] {
  const { taskId, nodeId, attempt, response, now } = data;
  if (
    state.phase === 'Finished' &&
    isAttempt(state.finished, nodeId, attempt) &&
    sameJson(state.finished.response, response)
  )
    return [];
  const failedBefore = state.attempts.find(
    (known) => isAttempt(known, nodeId, attempt) && known.failed !== null,
  );
  if (failedBefore?.failed?.status === response.status) return [];
  currentAttempt(state, nodeId, attempt);
  const { retry } = state.task;
  const failures = failedAttempts(state) + 1;
  if (
    retry !== undefined &&
    isRetriedStatus(retry.on, response.status) &&
    failures < retry.maxAttempts
  ) {
    const retryAt = new Date(Date.parse(now) + retryDelayMs(retry.backoff, failures));
    return [
      taskEvent('TaskAttemptFailed', {
        taskId,
        nodeId,
        attempt,
        status: response.status,
        retryAt: retryAt.toISOString(),
        at: now,
      }),
    ];
  }
  return [taskEvent('TaskFinished', { taskId, nodeId, attempt, response, finishedAt: now })];
}

function failTask({ data }: FailTask, state: IssuedTaskState): TaskEvent[] {
  const { taskId, reason, message, now } = data;
  if (state.phase === 'Failed' && state.failure.reason === reason) return [];
  if (state.phase === 'Finished' || state.phase === 'Failed') throw terminal(state);

  const failed = [
    taskEvent('TaskFailed', {
      taskId,
      reason,
      status: taskFailureStatus[reason],
      message,
      at: now,
    }),
  ];
  switch (reason) {
    case 'TIMEOUT':
      // The timeout runs from the start of an attempt; a waiting task has nothing running to time out.
      if (state.phase === 'Assigned') return failed;
      throw new TaskRuleViolation(
        'INVALID_TRANSITION',
        taskId,
        'TIMEOUT applies only while the task is assigned',
      );
    case 'NO_RUNNER':
      if (state.phase === 'Waiting') return failed;
      throw new TaskRuleViolation(
        'INVALID_TRANSITION',
        taskId,
        'NO_RUNNER applies only while the task waits for a node',
      );
    case 'NODE_LOST':
      // Losing the node of an earlier attempt means a retry: that is UnassignTask, not a failure.
      if (state.phase === 'Assigned' && spentAttempts(state) >= state.task.maxAttempts)
        return failed;
      throw new TaskRuleViolation(
        'INVALID_TRANSITION',
        taskId,
        'NODE_LOST fails a task only on its last attempt; unassign the attempt to retry',
      );
    case 'CANCELLED':
      return failed;
    default:
      return unknownReason(reason);
  }
}

/**
 * The owner withdraws the task, waiting or running: it fails with CANCELLED (499) at once; stopping
 * the run is the node's business, told by whoever recorded this. Another account's task is as
 * unknown as a missing one. A task that ended otherwise first stays as it ended (TASK_TERMINAL).
 */
function cancelTask({ data }: CancelTask, state: TaskState): TaskEvent[] {
  const { taskId, accountId, now } = data;
  const task = issued(state, taskId);
  if (task.task.accountId !== accountId)
    throw new TaskRuleViolation('TASK_NOT_FOUND', taskId, 'no such task');
  switch (task.phase) {
    case 'Failed':
      if (task.failure.reason === 'CANCELLED') return [];
      throw terminal(task);
    case 'Finished':
      throw terminal(task);
    case 'Waiting':
    case 'Assigned':
      return [
        taskEvent('TaskFailed', {
          taskId,
          reason: 'CANCELLED',
          status: taskFailureStatus.CANCELLED,
          message:
            task.phase === 'Assigned'
              ? `cancelled by its owner while attempt ${task.current.attempt} ran`
              : 'cancelled by its owner while it waited for a node',
          at: now,
        }),
      ];
    default:
      return unknownPhase(task);
  }
}

function issued(state: TaskState, taskId: string): IssuedTaskState {
  if (state.phase === 'NotIssued')
    throw new TaskRuleViolation('TASK_NOT_FOUND', taskId, 'no such task');
  if (state.task.taskId !== taskId) throw wrongTask(state, taskId);
  return state;
}

function lastAttempt(state: IssuedTaskState): number {
  return state.attempts.reduce((last, known) => Math.max(last, known.attempt), 0);
}

/**
 * Attempts that count against the platform's `maxAttempts`, the current one included: those that
 * may have run without an answer. A refused attempt never ran, and one whose function answered is
 * counted by the retry policy instead (failedAttempts).
 */
function spentAttempts(state: IssuedTaskState): number {
  return state.attempts.filter(
    (known) => known.unassigned?.reason !== 'REJECTED' && known.failed === null,
  ).length;
}

/** Attempts whose function answered with a status the retry policy retries. */
function failedAttempts(state: IssuedTaskState): number {
  return state.attempts.filter((known) => known.failed !== null).length;
}

function isAttempt(
  known: Pick<TaskAttempt, 'nodeId' | 'attempt'>,
  nodeId: string,
  attempt: number,
): boolean {
  return known.nodeId === nodeId && known.attempt === attempt;
}

/** The task while `attempt` on `nodeId` is its current one; otherwise throws why it is not. */
function currentAttempt(
  state: IssuedTaskState,
  nodeId: string,
  attempt: number,
): IssuedTaskState & { phase: 'Assigned' } {
  switch (state.phase) {
    case 'Finished':
    case 'Failed':
      throw terminal(state);
    case 'Waiting':
      throw notCurrent(state, nodeId, attempt);
    case 'Assigned':
      if (!isAttempt(state.current, nodeId, attempt)) throw notCurrent(state, nodeId, attempt);
      return state;
    default:
      return unknownPhase(state);
  }
}

function terminal(state: IssuedTaskState & { phase: 'Finished' | 'Failed' }): TaskRuleViolation {
  return new TaskRuleViolation(
    'TASK_TERMINAL',
    state.task.taskId,
    `the task is already ${state.phase.toLowerCase()}`,
  );
}

function notCurrent(state: IssuedTaskState, nodeId: string, attempt: number): TaskRuleViolation {
  const current =
    state.phase === 'Assigned'
      ? `node ${state.current.nodeId} (attempt ${state.current.attempt})`
      : 'no node';
  return new TaskRuleViolation(
    'NOT_CURRENT_ATTEMPT',
    state.task.taskId,
    `node ${nodeId} (attempt ${attempt}) is not the current assignment; the task is assigned to ${current}`,
  );
}

function wrongTask(state: IssuedTaskState, taskId: string): TaskRuleViolation {
  return new TaskRuleViolation(
    'WRONG_TASK',
    taskId,
    `this state belongs to task ${state.task.taskId}`,
  );
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled task event ${JSON.stringify(event)}`);
}

function unknownCommand(command: never): never {
  throw new Error(`Unhandled task command ${JSON.stringify(command)}`);
}

function unknownPhase(state: never): never {
  throw new Error(`Unhandled task phase ${JSON.stringify(state)}`);
}

function unknownReason(reason: never): never {
  throw new Error(`Unhandled failure reason ${String(reason)}`);
}
