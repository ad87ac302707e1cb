import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import type { ResultHeaders } from '../schema/task-results-table.js';
import type { TaskRowState } from '../schema/tasks-table.js';
import type { KeysetKey } from './keyset.js';
import { inIndexOrder } from './index-order.js';
import { keysetTime } from './keyset-sql.js';

// The gateway's task queries. Every one is scoped by account: another account's task reads as
// missing. List filters are each served by an index of api.tasks walked in keyset order
// (docs/read-models.md), so a page costs the same on the first page and the millionth.

export interface TaskDetail {
  readonly taskId: string;
  readonly functionId: string;
  readonly scheduleId: string | null;
  readonly state: TaskRowState;
  readonly progress: number;
  /** 0 until terminal, then the function's status or the platform's. */
  readonly status: number;
  readonly nodeId: string | null;
  readonly timeoutSeconds: number;
  readonly requirements: {
    readonly cpuCount: number;
    readonly memSize: number;
    readonly networkLatency: number;
    readonly privileged: boolean;
  };
  readonly failureReason: string | null;
  readonly issuedAt: Date;
  readonly assignedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** One task of the account, or undefined when it has none with this id (yet). */
export async function findTask(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  taskId: string,
): Promise<TaskDetail | undefined> {
  const row = await db
    .selectFrom('api.tasks')
    .select([
      'task_id',
      'function_id',
      'schedule_id',
      'state',
      'progress',
      'status',
      'node_id',
      'timeout_seconds',
      'cpu_count',
      'mem_size',
      'network_latency',
      'privileged',
      'failure_reason',
      'issued_at',
      'assigned_at',
      'finished_at',
    ])
    .where('task_id', '=', taskId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    taskId: row.task_id,
    functionId: row.function_id,
    scheduleId: row.schedule_id,
    state: row.state,
    progress: row.progress,
    status: row.status,
    nodeId: row.node_id,
    timeoutSeconds: row.timeout_seconds,
    requirements: {
      cpuCount: row.cpu_count,
      memSize: row.mem_size,
      networkLatency: row.network_latency,
      privileged: row.privileged,
    },
    failureReason: row.failure_reason,
    issuedAt: row.issued_at,
    assignedAt: row.assigned_at,
    finishedAt: row.finished_at,
  };
}

export interface TaskListFilter {
  readonly functionId?: string;
  readonly status?: number;
  /** Issued at or after this instant. */
  readonly issuedFrom?: Date;
  /** Issued strictly before this instant. */
  readonly issuedBefore?: Date;
}

export interface TaskListItem {
  readonly taskId: string;
  readonly issuedAt: Date;
  readonly progress: number;
  readonly status: number;
}

export interface TaskListPage {
  /** Newest first. */
  readonly items: readonly TaskListItem[];
  /** Where the next page starts, or null when this one is the last. */
  readonly next: KeysetKey | null;
}

/** A page of the account's tasks, newest first, starting after `after` when given. */
export async function listTasks(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  filter: TaskListFilter,
  page: { readonly limit: number; readonly after?: KeysetKey | null },
): Promise<TaskListPage> {
  // One row more than asked tells whether another page follows.
  const rows = await inIndexOrder(db, (trx) =>
    taskListQuery(trx, accountId, filter, page.after ?? null, page.limit + 1).execute(),
  );
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => ({
      taskId: row.task_id,
      issuedAt: row.issued_at,
      progress: row.progress,
      status: row.status,
    })),
    next:
      rows.length > page.limit && last !== undefined
        ? { time: last.issued_key, id: last.task_id }
        : null,
  };
}

/** The query behind {@link listTasks}, exported so tests can check its plan. */
export function taskListQuery(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  filter: TaskListFilter,
  after: KeysetKey | null,
  limit: number,
) {
  let query = db
    .selectFrom('api.tasks')
    .select(['task_id', 'issued_at', 'progress', 'status'])
    .select(keysetTime('issued_at').as('issued_key'))
    .where('account_id', '=', accountId);
  if (filter.functionId !== undefined) query = query.where('function_id', '=', filter.functionId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.issuedFrom !== undefined) query = query.where('issued_at', '>=', filter.issuedFrom);
  if (filter.issuedBefore !== undefined) query = query.where('issued_at', '<', filter.issuedBefore);
  if (after !== null) {
    query = query.where(
      sql<boolean>`(issued_at, task_id) < (${after.time}::timestamptz, ${after.id})`,
    );
  }
  return query.orderBy('issued_at', 'desc').orderBy('task_id', 'desc').limit(limit);
}

export interface TaskOutcome {
  readonly state: TaskRowState;
  readonly progress: number;
  readonly status: number;
  readonly failureReason: string | null;
  /** The function's response, once the task finished. */
  readonly response: {
    readonly status: number;
    readonly contentType: string | null;
    readonly headers: ResultHeaders;
    readonly body: Buffer;
  } | null;
}

/** Where a task of the account stands and, once it finished, the function's response. */
export async function findTaskOutcome(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  taskId: string,
): Promise<TaskOutcome | undefined> {
  const row = await db
    .selectFrom('api.tasks as t')
    .leftJoin('api.task_results as r', 'r.task_id', 't.task_id')
    .select([
      't.state',
      't.progress',
      't.status',
      't.failure_reason',
      'r.status as response_status',
      'r.content_type',
      'r.headers',
      'r.body',
    ])
    .where('t.task_id', '=', taskId)
    .where('t.account_id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const response =
    row.response_status === null || row.body === null
      ? null
      : {
          status: row.response_status,
          contentType: row.content_type,
          headers: row.headers ?? {},
          body: row.body,
        };
  return {
    state: row.state,
    progress: row.progress,
    status: row.status,
    failureReason: row.failure_reason,
    response,
  };
}
