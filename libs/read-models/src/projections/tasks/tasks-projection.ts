import {
  parseTaskEvent,
  taskEventTypes,
  taskStreamId,
  type TaskEvent,
  type TaskEventType,
  type TaskFinished,
} from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import { sql, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../../schema/read-model-database.js';
import type { NewTaskAttemptRow } from '../../schema/task-attempts-table.js';
import type { NewTaskResultRow } from '../../schema/task-results-table.js';
import type { NewTaskRow } from '../../schema/tasks-table.js';
import { ProjectionFailedError, parseRecordedEvent, type Projection } from '../projection.js';
import {
  evolveProjectedTask,
  newlyIssuedTask,
  type ProjectedAttempt,
  type ProjectedTask,
} from './projected-task.js';
import { TaskCounterChanges, writeTaskCounterChanges } from './task-counters.js';

type Trx = Transaction<ReadModelDatabase>;

const name = 'tasks';

/**
 * Every task event → `api.tasks` (one row per task), `api.task_attempts` (one row per assignment)
 * and `api.task_results` (the function's response, on TaskFinished), and the metrics counters
 * (`api.account_task_counters`, `api.function_task_counters`, `api.account_task_days`,
 * `api.function_task_days`, `api.nodes.running_tasks`; see task-counters.ts). Replays are
 * recognised by `api.tasks.last_stream_version`. A batch is folded in memory, task by task, and
 * written with a handful of statements: tasks are the bulk of the store.
 *
 * The counters are kept here rather than by a projection of their own because they change with a
 * task's state, and only this projection knows the state a task had before the batch, under the
 * replay guard that makes each change count once.
 */
export const tasksProjection: Projection<TaskEventType> = {
  name,
  handles: taskEventTypes,
  apply: (trx, event) => applyTaskEvents(trx, [event]),
  applyBatch: applyTaskEvents,
};

/** A task as stored, or as the batch has made it so far. */
interface TaskInProgress {
  readonly row: NewTaskRow;
  readonly task: ProjectedTask;
  /** The task as stored before the batch; null when the batch issued it. */
  readonly storedTask: ProjectedTask | null;
  readonly version: number;
  /** Attempts as stored before the batch, to write only what changed. */
  readonly storedAttempts: readonly ProjectedAttempt[];
  readonly changed: boolean;
}

// Statements stay well below PostgreSQL's 65 535 parameters whatever the batch size.
const ROWS_PER_STATEMENT = 500;

async function applyTaskEvents(trx: Trx, recorded: readonly RecordedEvent[]): Promise<void> {
  const events = recorded.map((event) => ({ recorded: event, event: parseTaskOf(event) }));
  const tasks = await loadTasks(trx, [...new Set(events.map(({ event }) => event.data.taskId))]);
  const results: NewTaskResultRow[] = [];

  for (const { recorded: stored, event } of events) {
    const { taskId } = event.data;
    const current = tasks.get(taskId);
    if (event.type === 'TaskIssued') {
      // A task already there was issued before: a replay, or a repeat the domain ignores too.
      if (current === undefined) tasks.set(taskId, issuedTask(event, stored.streamVersion));
      continue;
    }
    // No row: the stream does not start with TaskIssued, which the task domain ignores too.
    if (current === undefined || stored.streamVersion <= current.version) continue;
    const next = evolveProjectedTask(current.task, event);
    if (event.type === 'TaskFinished' && next !== current.task) results.push(resultRow(event.data));
    tasks.set(taskId, { ...current, task: next, version: stored.streamVersion, changed: true });
  }

  const changed = [...tasks.values()].filter((task) => task.changed);
  for (const chunk of chunks(changed, ROWS_PER_STATEMENT)) await upsertTasks(trx, chunk);
  const counters = new TaskCounterChanges();
  for (const { row, task, storedTask } of changed) {
    counters.add(storedTask, {
      accountId: row.account_id,
      functionId: row.function_id,
      issuedAt: row.issued_at,
      task,
    });
  }
  await writeTaskCounterChanges(trx, counters);
  const attempts = changed.flatMap(changedAttempts);
  for (const chunk of chunks(attempts, ROWS_PER_STATEMENT)) await upsertAttempts(trx, chunk);
  for (const chunk of chunks(results, 50)) {
    await trx
      .insertInto('api.task_results')
      .values(chunk)
      .onConflict((conflict) => conflict.column('task_id').doNothing())
      .execute();
  }
}

function parseTaskOf(recorded: RecordedEvent): TaskEvent {
  const event = parseRecordedEvent(name, recorded, parseTaskEvent);
  if (recorded.streamId !== taskStreamId(event.data.taskId)) {
    throw new ProjectionFailedError(
      name,
      recorded,
      new Error(`the event is about task ${event.data.taskId}, not the stream's task`),
    );
  }
  return event;
}

function issuedTask(
  event: Extract<TaskEvent, { type: 'TaskIssued' }>,
  version: number,
): TaskInProgress {
  const { data } = event;
  const task = newlyIssuedTask;
  return {
    row: {
      task_id: data.taskId,
      account_id: data.accountId,
      function_id: data.functionId,
      schedule_id: data.scheduleId,
      state: task.state,
      timeout_seconds: data.timeout,
      cpu_count: data.requirements.cpuCount,
      mem_size: data.requirements.memSize,
      network_latency: data.requirements.networkLatency,
      privileged: data.requirements.privileged,
      node_id: task.nodeId,
      failure_reason: task.failureReason,
      issued_at: data.issuedAt,
      last_stream_version: version,
    },
    task,
    storedTask: null,
    version,
    storedAttempts: [],
    changed: true,
  };
}

async function loadTasks(
  trx: Trx,
  taskIds: readonly string[],
): Promise<Map<string, TaskInProgress>> {
  const tasks = new Map<string, TaskInProgress>();
  if (taskIds.length === 0) return tasks;
  const rows = await trx
    .selectFrom('api.tasks')
    .select([
      'task_id',
      'account_id',
      'function_id',
      'schedule_id',
      'state',
      'progress',
      'status',
      'node_id',
      'attempt',
      'timeout_seconds',
      'cpu_count',
      'mem_size',
      'network_latency',
      'privileged',
      'failure_reason',
      'issued_at',
      'assigned_at',
      'finished_at',
      'last_stream_version',
    ])
    .where('task_id', 'in', taskIds)
    .execute();
  if (rows.length === 0) return tasks;
  const attemptRows = await trx
    .selectFrom('api.task_attempts')
    .select(['task_id', 'attempt', 'node_id', 'assigned_at', 'unassigned_at', 'unassign_reason'])
    .where(
      'task_id',
      'in',
      rows.map((row) => row.task_id),
    )
    .orderBy('task_id')
    .orderBy('attempt')
    .execute();
  const attemptsOf = new Map<string, ProjectedAttempt[]>();
  for (const attempt of attemptRows) {
    const known = attemptsOf.get(attempt.task_id) ?? [];
    known.push({
      attempt: attempt.attempt,
      nodeId: attempt.node_id,
      assignedAt: attempt.assigned_at.toISOString(),
      unassigned:
        attempt.unassigned_at === null || attempt.unassign_reason === null
          ? null
          : { reason: attempt.unassign_reason, at: attempt.unassigned_at.toISOString() },
    });
    attemptsOf.set(attempt.task_id, known);
  }
  for (const row of rows) {
    const attempts = attemptsOf.get(row.task_id) ?? [];
    const task: ProjectedTask = {
      state: row.state,
      progress: row.progress,
      status: row.status,
      nodeId: row.node_id,
      attempt: row.attempt,
      assignedAt: row.assigned_at?.toISOString() ?? null,
      finishedAt: row.finished_at?.toISOString() ?? null,
      failureReason: row.failure_reason as ProjectedTask['failureReason'],
      attempts,
    };
    tasks.set(row.task_id, {
      row,
      version: Number(row.last_stream_version),
      storedAttempts: attempts,
      changed: false,
      task,
      storedTask: task,
    });
  }
  return tasks;
}

async function upsertTasks(trx: Trx, tasks: readonly TaskInProgress[]): Promise<void> {
  await trx
    .insertInto('api.tasks')
    .values(
      tasks.map(({ row, task, version }) => ({
        ...row,
        state: task.state,
        progress: task.progress,
        status: task.status,
        node_id: task.nodeId,
        attempt: task.attempt,
        assigned_at: task.assignedAt,
        finished_at: task.finishedAt,
        failure_reason: task.failureReason,
        last_stream_version: version,
      })),
    )
    .onConflict((conflict) =>
      conflict
        .column('task_id')
        .doUpdateSet((update) => ({
          state: update.ref('excluded.state'),
          progress: update.ref('excluded.progress'),
          status: update.ref('excluded.status'),
          node_id: update.ref('excluded.node_id'),
          attempt: update.ref('excluded.attempt'),
          assigned_at: update.ref('excluded.assigned_at'),
          finished_at: update.ref('excluded.finished_at'),
          failure_reason: update.ref('excluded.failure_reason'),
          last_stream_version: update.ref('excluded.last_stream_version'),
          updated_at: sql`now()`,
        }))
        .whereRef('api.tasks.last_stream_version', '<', 'excluded.last_stream_version'),
    )
    .execute();
}

/** Attempts the batch added or ended. */
function changedAttempts({ row, task, storedAttempts }: TaskInProgress): NewTaskAttemptRow[] {
  return task.attempts
    .filter((attempt, index) => {
      const stored = storedAttempts[index];
      return stored === undefined || (stored.unassigned === null && attempt.unassigned !== null);
    })
    .map((attempt) => ({
      task_id: row.task_id,
      attempt: attempt.attempt,
      node_id: attempt.nodeId,
      assigned_at: attempt.assignedAt,
      unassigned_at: attempt.unassigned?.at ?? null,
      unassign_reason: attempt.unassigned?.reason ?? null,
    }));
}

async function upsertAttempts(trx: Trx, attempts: readonly NewTaskAttemptRow[]): Promise<void> {
  // One row per (task, attempt) in a statement: ON CONFLICT cannot touch a row twice.
  const latest = new Map(
    attempts.map((attempt) => [`${attempt.task_id}:${attempt.attempt}`, attempt]),
  );
  await trx
    .insertInto('api.task_attempts')
    .values([...latest.values()])
    .onConflict((conflict) =>
      conflict.columns(['task_id', 'attempt']).doUpdateSet((update) => ({
        unassigned_at: update.ref('excluded.unassigned_at'),
        unassign_reason: update.ref('excluded.unassign_reason'),
      })),
    )
    .execute();
}

function resultRow(data: TaskFinished['data']): NewTaskResultRow {
  const { response } = data;
  return {
    task_id: data.taskId,
    status: response.status,
    content_type: response.contentType,
    headers: response.headers,
    body: Buffer.from(response.body, 'base64'),
    finished_at: data.finishedAt,
  };
}

function chunks<Item>(items: readonly Item[], size: number): Item[][] {
  const result: Item[][] = [];
  for (let start = 0; start < items.length; start += size)
    result.push(items.slice(start, start + size));
  return result;
}
