import type { TaskFailureReason, TaskResponse } from '@canopy/contracts';
import { taskFailureReasons, taskStreamId } from '@canopy/contracts';
import { encodeKeysetCursor, findTask, findTaskOutcome, listTasks } from '@canopy/read-models';
import type { ReadModelDatabase, ResultHeaders } from '@canopy/read-models';
import { taskView } from '@canopy/task-domain';
import type { TaskView } from '@canopy/task-domain';
import type { Kysely } from 'kysely';
import { notFound } from '../http/api-error.js';
import type { Aggregates } from '../events/aggregates.js';
import type { TaskJson, TaskListEntryJson } from './task-json.js';
import { taskJsonFromReadModel, taskJsonFromStream, taskListEntryJson } from './task-json.js';
import type { TaskListParameters } from './task-list-parameters.js';

// Reads of one account's tasks. The read models answer first; a task they do not show yet (the
// projector is behind, or stopped) is folded from its stream, so a task is never missing right after
// its 201. Another account's task reads exactly as a missing one.

/** Where a task's result stands. */
export type TaskOutcome =
  | {
      readonly kind: 'finished';
      readonly status: number;
      readonly contentType: string | null;
      readonly headers: ResultHeaders;
      readonly body: Buffer;
    }
  | { readonly kind: 'failed'; readonly reason: TaskFailureReason; readonly status: number }
  | { readonly kind: 'pending'; readonly progress: number }
  | { readonly kind: 'missing' };

export class TaskReads {
  constructor(
    private readonly db: Kysely<ReadModelDatabase>,
    private readonly tasks: Aggregates['tasks'],
  ) {}

  /**
   * The task. A terminal row of the read model is final; any other may lag behind the event store
   * (a client that just saw the result must not see the task pending), so the stream answers then.
   */
  async task(accountId: string, taskId: string): Promise<TaskJson> {
    const projected = await findTask(this.db, accountId, taskId);
    if (
      projected !== undefined &&
      (projected.state === 'finished' || projected.state === 'failed')
    ) {
      return taskJsonFromReadModel(projected);
    }
    const view = await this.viewFromStream(accountId, taskId);
    if (view !== null) return taskJsonFromStream(view);
    if (projected !== undefined) return taskJsonFromReadModel(projected);
    throw notFound(`no task ${taskId}`);
  }

  async list(
    accountId: string,
    parameters: TaskListParameters,
  ): Promise<{ readonly entries: TaskListEntryJson[]; readonly nextCursor: string | null }> {
    const page = await listTasks(this.db, accountId, parameters.filter, {
      limit: parameters.limit,
      after: parameters.after,
    });
    return {
      entries: page.items.map(taskListEntryJson),
      nextCursor: page.next === null ? null : encodeKeysetCursor(page.next),
    };
  }

  /**
   * The task's outcome. A read model that does not show the task as terminal may lag behind the
   * event store, so the stream is asked too: a result is served as soon as it is recorded.
   */
  async outcome(accountId: string, taskId: string): Promise<TaskOutcome> {
    // Both at once: a result request mostly comes before the projector has the outcome (or before
    // there is one), when the stream answers; reading them one after the other would add up.
    const [projected, view] = await Promise.all([
      findTaskOutcome(this.db, accountId, taskId),
      this.viewFromStream(accountId, taskId),
    ]);
    if (projected?.state === 'finished' && projected.response !== null) {
      return { kind: 'finished', ...projected.response };
    }
    if (projected?.state === 'failed' && isFailureReason(projected.failureReason)) {
      return { kind: 'failed', reason: projected.failureReason, status: projected.status };
    }
    if (view === null) {
      return projected === undefined
        ? { kind: 'missing' }
        : { kind: 'pending', progress: projected.progress };
    }
    switch (view.phase) {
      case 'Finished': {
        const response = view.response;
        if (response === null) throw new Error(`finished task ${taskId} has no response`);
        return finishedOutcome(response);
      }
      case 'Failed': {
        if (view.failure === null) throw new Error(`failed task ${taskId} has no failure`);
        return { kind: 'failed', reason: view.failure.reason, status: view.status };
      }
      case 'Waiting':
      case 'Assigned':
        return {
          kind: 'pending',
          progress: Math.max(view.progress, projected?.progress ?? 0),
        };
      default:
        return unknownPhase(view.phase);
    }
  }

  private async viewFromStream(accountId: string, taskId: string): Promise<TaskView | null> {
    const { state } = await this.tasks.current(taskStreamId(taskId));
    const view = taskView(state);
    return view !== null && view.accountId === accountId ? view : null;
  }
}

/** A finished task's outcome: the function's response as recorded, its body decoded. */
export function finishedOutcome(
  response: TaskResponse,
): Extract<TaskOutcome, { kind: 'finished' }> {
  return {
    kind: 'finished',
    status: response.status,
    contentType: response.contentType,
    headers: response.headers,
    body: Buffer.from(response.body, 'base64'),
  };
}

function isFailureReason(reason: string | null): reason is TaskFailureReason {
  return taskFailureReasons.some((known) => known === reason);
}

function unknownPhase(phase: never): never {
  throw new Error(`Unhandled task phase ${String(phase)}`);
}
