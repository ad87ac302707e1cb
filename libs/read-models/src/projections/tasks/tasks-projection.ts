import {
  DEFAULT_TASK_PRIORITY,
  parseTaskEvent,
  taskEventTypes,
  taskStreamId,
  type TaskEvent,
  type TaskEventType,
  type TaskFinished,
  type UnassignReason,
} from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import { sql, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../../schema/read-model-database.js';
import type { TaskRowState } from '../../schema/tasks-table.js';
import { ProjectionFailedError, parseRecordedEvent, type Projection } from '../projection.js';
import { anyOf, columnNames, unnestRows, type RowSetColumns } from '../unnest-rows.js';
import {
  evolveProjectedTask,
  newlyIssuedTask,
  type ProjectedAttempt,
  type ProjectedTask,
} from './projected-task.js';
import { writeTogether, type PendingWrite } from '../write-together.js';
import { TaskCounterChanges, taskCounterWrites } from './task-counters.js';

type Trx = Transaction<ReadModelDatabase>;

const name = 'tasks';

/**
 * Every task event → `api.tasks` (one row per task), `api.task_attempts` (one row per assignment)
 * and `api.task_results` (the function's response, on TaskFinished), and the metrics counters
 * (`api.account_task_counters`, `api.function_task_counters`, `api.account_task_days`,
 * `api.function_task_days`, `api.nodes.running_tasks`; see task-counters.ts). Replays are
 * recognised by `api.tasks.last_stream_version`.
 *
 * A batch is applied set-based, with a number of statements that does not grow with it: one
 * SELECT reads the stored state of every task the batch touches (its row and its attempts), each
 * task's events are folded in memory, and each table is written once, from arrays of rows
 * (`unnestRows`). `apply` is the same for a batch of one event.
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

/** The columns of a task that its first event sets once and for all. */
interface IssuedTask {
  readonly task_id: string;
  readonly account_id: string;
  readonly function_id: string;
  readonly function_version: number;
  readonly schedule_id: string | null;
  readonly timeout_seconds: number;
  readonly cpu_count: number;
  readonly mem_size: number;
  readonly network_latency: number;
  readonly privileged: boolean;
  readonly priority: number;
  readonly not_before: Date | string | null;
  readonly issued_at: Date | string;
}

/** A task as stored, or as the batch has made it so far. */
interface TaskInProgress {
  readonly issued: IssuedTask;
  readonly task: ProjectedTask;
  /** The task as stored before the batch; null when the batch issued it. */
  readonly storedTask: ProjectedTask | null;
  readonly version: number;
  readonly changed: boolean;
}

async function applyTaskEvents(trx: Trx, recorded: readonly RecordedEvent[]): Promise<void> {
  const events = recorded.map((event) => ({ recorded: event, event: parseTaskOf(event) }));
  const tasks = await loadTasks(trx, [...new Set(events.map(({ event }) => event.data.taskId))]);
  const results = new Map<string, TaskResultRowSet>();

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
    if (event.type === 'TaskFinished' && next !== current.task)
      results.set(taskId, resultRow(event.data));
    tasks.set(taskId, { ...current, task: next, version: stored.streamVersion, changed: true });
  }

  const changed = [...tasks.values()].filter((task) => task.changed);
  const counters = new TaskCounterChanges();
  for (const { issued, task, storedTask } of changed) {
    counters.add(storedTask, {
      accountId: issued.account_id,
      functionId: issued.function_id,
      issuedAt: issued.issued_at,
      task,
    });
  }
  // Every table once, in one statement: each write depends only on what was read above.
  await writeTogether(trx, [
    taskRowsWrite(trx, changed),
    ...taskCounterWrites(trx, counters),
    attemptRowsWrite(trx, changed.flatMap(changedAttempts)),
    resultRowsWrite(trx, [...results.values()]),
  ]);
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
  return {
    issued: {
      task_id: data.taskId,
      account_id: data.accountId,
      function_id: data.functionId,
      function_version: data.functionVersion,
      schedule_id: data.scheduleId,
      timeout_seconds: data.timeout,
      cpu_count: data.requirements.cpuCount,
      mem_size: data.requirements.memSize,
      network_latency: data.requirements.networkLatency,
      privileged: data.requirements.privileged,
      priority: data.priority ?? DEFAULT_TASK_PRIORITY,
      not_before: data.notBefore ?? null,
      issued_at: data.issuedAt,
    },
    task: newlyIssuedTask,
    storedTask: null,
    version,
    changed: true,
  };
}

/** The stored tasks among `taskIds`, with their attempts: one statement. */
async function loadTasks(
  trx: Trx,
  taskIds: readonly string[],
): Promise<Map<string, TaskInProgress>> {
  const tasks = new Map<string, TaskInProgress>();
  if (taskIds.length === 0) return tasks;
  // One row per attempt (one with NULLs for a task never assigned); attempts in order. A lateral
  // join, so that the attempts are found through their primary key for each task whatever the
  // planner believes about the tables (without fresh statistics it would rather hash the whole
  // attempts table, a cost that grows with every task ever run); OFFSET 0 keeps PostgreSQL from
  // pulling the subquery up into a plain join, which would give it that choice back.
  const rows = await trx
    .selectFrom('api.tasks as t')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('api.task_attempts as attempts')
          .select([
            'attempts.attempt',
            'attempts.node_id',
            'attempts.assigned_at',
            'attempts.unassigned_at',
            'attempts.unassign_reason',
            'attempts.failed_at',
            'attempts.failed_status',
            'attempts.retry_at',
          ])
          .whereRef('attempts.task_id', '=', 't.task_id')
          .offset(0)
          .as('a'),
      (join) => join.onTrue(),
    )
    .select([
      't.task_id',
      't.account_id',
      't.function_id',
      't.function_version',
      't.schedule_id',
      't.state',
      't.progress',
      't.status',
      't.node_id',
      't.attempt',
      't.timeout_seconds',
      't.cpu_count',
      't.mem_size',
      't.network_latency',
      't.privileged',
      't.failure_reason',
      't.priority',
      't.not_before',
      't.issued_at',
      't.assigned_at',
      't.finished_at',
      't.last_stream_version',
      'a.attempt as attempt_number',
      'a.node_id as attempt_node_id',
      'a.assigned_at as attempt_assigned_at',
      'a.unassigned_at',
      'a.unassign_reason',
      'a.failed_at',
      'a.failed_status',
      'a.retry_at',
    ])
    .where('t.task_id', '=', anyOf(taskIds, 'bpchar'))
    .orderBy('t.task_id')
    .orderBy('a.attempt')
    .execute();

  const attemptsOf = new Map<string, ProjectedAttempt[]>();
  for (const row of rows) {
    const attempts = attemptsOf.get(row.task_id) ?? [];
    attemptsOf.set(row.task_id, attempts);
    if (
      row.attempt_number === null ||
      row.attempt_node_id === null ||
      row.attempt_assigned_at === null
    )
      continue;
    attempts.push({
      attempt: row.attempt_number,
      nodeId: row.attempt_node_id,
      assignedAt: row.attempt_assigned_at.toISOString(),
      unassigned:
        row.unassigned_at === null || row.unassign_reason === null
          ? null
          : { reason: row.unassign_reason, at: row.unassigned_at.toISOString() },
      failed:
        row.failed_at === null || row.failed_status === null || row.retry_at === null
          ? null
          : {
              status: row.failed_status,
              retryAt: row.retry_at.toISOString(),
              at: row.failed_at.toISOString(),
            },
    });
  }
  for (const row of rows) {
    if (tasks.has(row.task_id)) continue;
    const task: ProjectedTask = {
      state: row.state,
      progress: row.progress,
      status: row.status,
      nodeId: row.node_id,
      attempt: row.attempt,
      assignedAt: row.assigned_at?.toISOString() ?? null,
      finishedAt: row.finished_at?.toISOString() ?? null,
      failureReason: row.failure_reason as ProjectedTask['failureReason'],
      attempts: attemptsOf.get(row.task_id) ?? [],
    };
    tasks.set(row.task_id, {
      issued: row,
      version: Number(row.last_stream_version),
      changed: false,
      task,
      storedTask: task,
    });
  }
  return tasks;
}

interface TaskRowSet extends IssuedTask {
  readonly state: TaskRowState;
  readonly progress: number;
  readonly status: number;
  readonly node_id: string | null;
  readonly attempt: number;
  readonly failure_reason: string | null;
  readonly assigned_at: string | null;
  readonly finished_at: string | null;
  readonly last_stream_version: number;
}

const taskColumns: RowSetColumns<TaskRowSet> = {
  task_id: 'text',
  account_id: 'text',
  function_id: 'text',
  function_version: 'int4',
  schedule_id: 'text',
  state: 'text',
  progress: 'int2',
  status: 'int2',
  node_id: 'text',
  attempt: 'int4',
  timeout_seconds: 'int4',
  cpu_count: 'int4',
  mem_size: 'int4',
  network_latency: 'int4',
  privileged: 'bool',
  failure_reason: 'text',
  priority: 'int2',
  not_before: 'timestamptz',
  issued_at: 'timestamptz',
  assigned_at: 'timestamptz',
  finished_at: 'timestamptz',
  last_stream_version: 'int8',
};

function taskRowsWrite(trx: Trx, tasks: readonly TaskInProgress[]): PendingWrite | undefined {
  if (tasks.length === 0) return undefined;
  const rows = tasks.map(({ issued, task, version }) => ({
    task_id: issued.task_id,
    account_id: issued.account_id,
    function_id: issued.function_id,
    function_version: issued.function_version,
    schedule_id: issued.schedule_id,
    timeout_seconds: issued.timeout_seconds,
    cpu_count: issued.cpu_count,
    mem_size: issued.mem_size,
    network_latency: issued.network_latency,
    privileged: issued.privileged,
    priority: issued.priority,
    not_before: issued.not_before,
    issued_at: issued.issued_at,
    state: task.state,
    progress: task.progress,
    status: task.status,
    node_id: task.nodeId,
    attempt: task.attempt,
    failure_reason: task.failureReason,
    assigned_at: task.assignedAt,
    finished_at: task.finishedAt,
    last_stream_version: version,
  }));
  return trx
    .insertInto('api.tasks')
    .columns(columnNames(taskColumns))
    .expression(unnestRows(taskColumns, rows))
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
    );
}

interface TaskAttemptRowSet {
  readonly task_id: string;
  readonly attempt: number;
  readonly node_id: string;
  readonly assigned_at: string;
  readonly unassigned_at: string | null;
  readonly unassign_reason: UnassignReason | null;
  readonly failed_at: string | null;
  readonly failed_status: number | null;
  readonly retry_at: string | null;
}

const attemptColumns: RowSetColumns<TaskAttemptRowSet> = {
  task_id: 'text',
  attempt: 'int4',
  node_id: 'text',
  assigned_at: 'timestamptz',
  unassigned_at: 'timestamptz',
  unassign_reason: 'text',
  failed_at: 'timestamptz',
  failed_status: 'int2',
  retry_at: 'timestamptz',
};

/** Attempts the batch added or ended. */
function changedAttempts({ issued, task, storedTask }: TaskInProgress): TaskAttemptRowSet[] {
  const storedAttempts = storedTask?.attempts ?? [];
  return task.attempts
    .filter((attempt, index) => {
      const stored = storedAttempts[index];
      return (
        stored === undefined ||
        (stored.unassigned === null && attempt.unassigned !== null) ||
        (stored.failed === null && attempt.failed !== null)
      );
    })
    .map((attempt) => ({
      task_id: issued.task_id,
      attempt: attempt.attempt,
      node_id: attempt.nodeId,
      assigned_at: attempt.assignedAt,
      unassigned_at: attempt.unassigned?.at ?? null,
      unassign_reason: attempt.unassigned?.reason ?? null,
      failed_at: attempt.failed?.at ?? null,
      failed_status: attempt.failed?.status ?? null,
      retry_at: attempt.failed?.retryAt ?? null,
    }));
}

function attemptRowsWrite(
  trx: Trx,
  attempts: readonly TaskAttemptRowSet[],
): PendingWrite | undefined {
  if (attempts.length === 0) return undefined;
  // One row per (task, attempt) in a statement: ON CONFLICT cannot touch a row twice.
  const latest = new Map(
    attempts.map((attempt) => [`${attempt.task_id}:${attempt.attempt}`, attempt]),
  );
  return trx
    .insertInto('api.task_attempts')
    .columns(columnNames(attemptColumns))
    .expression(unnestRows(attemptColumns, [...latest.values()]))
    .onConflict((conflict) =>
      conflict.columns(['task_id', 'attempt']).doUpdateSet((update) => ({
        unassigned_at: update.ref('excluded.unassigned_at'),
        unassign_reason: update.ref('excluded.unassign_reason'),
        failed_at: update.ref('excluded.failed_at'),
        failed_status: update.ref('excluded.failed_status'),
        retry_at: update.ref('excluded.retry_at'),
      })),
    );
}

interface TaskResultRowSet {
  readonly task_id: string;
  readonly status: number;
  readonly content_type: string | null;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly finished_at: string;
}

const resultColumns: RowSetColumns<TaskResultRowSet> = {
  task_id: 'text',
  status: 'int2',
  content_type: 'text',
  headers: 'jsonb',
  body: 'bytea',
  finished_at: 'timestamptz',
};

function resultRow(data: TaskFinished['data']): TaskResultRowSet {
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

function resultRowsWrite(trx: Trx, results: readonly TaskResultRowSet[]): PendingWrite | undefined {
  if (results.length === 0) return undefined;
  return trx
    .insertInto('api.task_results')
    .columns(columnNames(resultColumns))
    .expression(unnestRows(resultColumns, results))
    .onConflict((conflict) => conflict.column('task_id').doNothing());
}
