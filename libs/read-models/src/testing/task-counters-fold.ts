import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import type { ExpectedTaskRow } from './read-model-fold.js';

// The metrics counters, read from the read models or computed from folded tasks by counting them,
// the independent way: the projection keeps them by differences, this counts from scratch.

export interface TaskCountersSnapshot {
  readonly accountTaskCounters: readonly {
    readonly account_id: string;
    readonly pending: string;
    readonly completed: string;
  }[];
  readonly functionTaskCounters: readonly {
    readonly function_id: string;
    readonly account_id: string;
    readonly pending: string;
    readonly completed: string;
  }[];
  readonly accountTaskDays: readonly {
    readonly account_id: string;
    readonly day: string;
    readonly issued: string;
  }[];
  readonly functionTaskDays: readonly {
    readonly function_id: string;
    readonly day: string;
    readonly issued: string;
  }[];
  readonly nodeRunningTasks: readonly {
    readonly node_id: string;
    readonly running_tasks: number;
  }[];
}

/** The counters as stored in `schema`, in a stable order. */
export async function readTaskCounters(
  db: Kysely<ReadModelDatabase>,
  schema = 'api',
): Promise<TaskCountersSnapshot> {
  const table = (name: string) => sql.table(`${schema}.${name}`);
  const rows = async <Row>(query: ReturnType<typeof sql<Row>>) => (await query.execute(db)).rows;
  return sorted({
    accountTaskCounters: await rows(sql`
      SELECT account_id, pending::text AS pending, completed::text AS completed
      FROM ${table('account_task_counters')}`),
    functionTaskCounters: await rows(sql`
      SELECT function_id, account_id, pending::text AS pending, completed::text AS completed
      FROM ${table('function_task_counters')}`),
    accountTaskDays: await rows(sql`
      SELECT account_id, day::text AS day, issued::text AS issued
      FROM ${table('account_task_days')}`),
    functionTaskDays: await rows(sql`
      SELECT function_id, day::text AS day, issued::text AS issued
      FROM ${table('function_task_days')}`),
    nodeRunningTasks: await rows(sql`SELECT node_id, running_tasks FROM ${table('nodes')}`),
  });
}

/** What the counters must be for these tasks (as folded) and nodes (ids of the nodes' rows). */
export function foldTaskCounters(
  tasks: readonly Pick<
    ExpectedTaskRow,
    'account_id' | 'function_id' | 'state' | 'node_id' | 'issued_at'
  >[],
  nodeIds: readonly string[],
): TaskCountersSnapshot {
  const accounts = new Map<string, { pending: number; completed: number }>();
  const functions = new Map<string, { accountId: string; pending: number; completed: number }>();
  const accountDays = new Map<string, { accountId: string; day: string; issued: number }>();
  const functionDays = new Map<string, { functionId: string; day: string; issued: number }>();
  const running = new Map(nodeIds.map((nodeId) => [nodeId, 0]));
  for (const task of tasks) {
    const pending = task.state === 'pending' || task.state === 'assigned' ? 1 : 0;
    const completed = task.state === 'finished' ? 1 : 0;
    const account = accounts.get(task.account_id) ?? { pending: 0, completed: 0 };
    accounts.set(task.account_id, {
      pending: account.pending + pending,
      completed: account.completed + completed,
    });
    const fn = functions.get(task.function_id) ?? {
      accountId: task.account_id,
      pending: 0,
      completed: 0,
    };
    functions.set(task.function_id, {
      ...fn,
      pending: fn.pending + pending,
      completed: fn.completed + completed,
    });
    const day = task.issued_at.toISOString().slice(0, 10);
    const accountDay = accountDays.get(`${task.account_id} ${day}`) ?? {
      accountId: task.account_id,
      day,
      issued: 0,
    };
    accountDays.set(`${task.account_id} ${day}`, { ...accountDay, issued: accountDay.issued + 1 });
    const functionDay = functionDays.get(`${task.function_id} ${day}`) ?? {
      functionId: task.function_id,
      day,
      issued: 0,
    };
    functionDays.set(`${task.function_id} ${day}`, {
      ...functionDay,
      issued: functionDay.issued + 1,
    });
    const count = task.node_id === null ? undefined : running.get(task.node_id);
    if (task.state === 'assigned' && task.node_id !== null && count !== undefined)
      running.set(task.node_id, count + 1);
  }
  return sorted({
    accountTaskCounters: [...accounts].map(([accountId, { pending, completed }]) => ({
      account_id: accountId,
      pending: String(pending),
      completed: String(completed),
    })),
    functionTaskCounters: [...functions].map(([functionId, fn]) => ({
      function_id: functionId,
      account_id: fn.accountId,
      pending: String(fn.pending),
      completed: String(fn.completed),
    })),
    accountTaskDays: [...accountDays.values()].map(({ accountId, day, issued }) => ({
      account_id: accountId,
      day,
      issued: String(issued),
    })),
    functionTaskDays: [...functionDays.values()].map(({ functionId, day, issued }) => ({
      function_id: functionId,
      day,
      issued: String(issued),
    })),
    nodeRunningTasks: [...running].map(([nodeId, runningTasks]) => ({
      node_id: nodeId,
      running_tasks: runningTasks,
    })),
  });
}

// Sorted the same way on both sides, whatever the database's collation.
function sorted(counters: TaskCountersSnapshot): TaskCountersSnapshot {
  const by =
    <Row>(key: (row: Row) => string) =>
    (rows: readonly Row[]) =>
      [...rows].sort((left, right) =>
        key(left) < key(right) ? -1 : key(left) > key(right) ? 1 : 0,
      );
  return {
    accountTaskCounters: by<TaskCountersSnapshot['accountTaskCounters'][number]>(
      (row) => row.account_id,
    )(counters.accountTaskCounters),
    functionTaskCounters: by<TaskCountersSnapshot['functionTaskCounters'][number]>(
      (row) => row.function_id,
    )(counters.functionTaskCounters),
    accountTaskDays: by<TaskCountersSnapshot['accountTaskDays'][number]>(
      (row) => `${row.account_id} ${row.day}`,
    )(counters.accountTaskDays),
    functionTaskDays: by<TaskCountersSnapshot['functionTaskDays'][number]>(
      (row) => `${row.function_id} ${row.day}`,
    )(counters.functionTaskDays),
    nodeRunningTasks: by<TaskCountersSnapshot['nodeRunningTasks'][number]>((row) => row.node_id)(
      counters.nodeRunningTasks,
    ),
  };
}
