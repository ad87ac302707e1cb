import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';

// Metrics of an account and of a function, read from the counters the tasks projection keeps (one
// row each, a day row or seven, and the account's nodes): never a count over tasks.
// "Pending": issued and not terminal (waiting for a node or running). "Completed": finished, the
// function answered (any status); tasks the platform failed are neither. Days are UTC days.

export interface AccountMetrics {
  readonly pendingTasks: number;
  /** Issued on the UTC day of `now`. */
  readonly todayTasks: number;
  readonly completedTasks: number;
  /** The account's nodes that are available (announced, not left or lost) and not disabled. */
  readonly activeNodes: number;
  /** Active nodes running no task. */
  readonly freeNodes: number;
  /** Active nodes running at least one task. */
  readonly busyNodes: number;
}

export interface FunctionMetrics {
  readonly pendingTasks: number;
  readonly completedTasks: number;
  /** Issued on the UTC day of `now`. */
  readonly todaysTasks: number;
  /** Issued in the 7 UTC days ending with the day of `now`. */
  readonly weekTasks: number;
}

export async function findAccountMetrics(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  now: Date,
): Promise<AccountMetrics> {
  const today = dayOf(now, 0);
  const row = await db
    .selectNoFrom((eb) => {
      const counters = eb
        .selectFrom('api.account_task_counters')
        .where('account_id', '=', accountId);
      const activeNodes = eb
        .selectFrom('api.nodes')
        .where('account_id', '=', accountId)
        .where('available', '=', true)
        .where('disabled', '=', false);
      return [
        counters.select('pending').as('pending'),
        counters.select('completed').as('completed'),
        eb
          .selectFrom('api.account_task_days')
          .select('issued')
          .where('account_id', '=', accountId)
          .where('day', '=', today)
          .as('today'),
        activeNodes.select((count) => count.fn.countAll<string>().as('nodes')).as('active'),
        activeNodes
          .where('running_tasks', '>', 0)
          .select((count) => count.fn.countAll<string>().as('nodes'))
          .as('busy'),
      ];
    })
    .executeTakeFirstOrThrow();
  const active = count(row.active);
  const busy = count(row.busy);
  return {
    pendingTasks: count(row.pending),
    todayTasks: count(row.today),
    completedTasks: count(row.completed),
    activeNodes: active,
    freeNodes: active - busy,
    busyNodes: busy,
  };
}

/** The metrics of `functionId`; zeros when it has no tasks (or is not the account's). */
export async function findFunctionMetrics(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  functionId: string,
  now: Date,
): Promise<FunctionMetrics> {
  const today = dayOf(now, 0);
  const row = await db
    .selectNoFrom((eb) => {
      const counters = eb
        .selectFrom('api.function_task_counters')
        .where('function_id', '=', functionId)
        .where('account_id', '=', accountId);
      // The day rows carry no account: they count only once the counters row says whose it is.
      const days = eb
        .selectFrom('api.function_task_days')
        .where('function_id', '=', functionId)
        .where((where) => where.exists(counters.select('function_id')));
      return [
        counters.select('pending').as('pending'),
        counters.select('completed').as('completed'),
        days.where('day', '=', today).select('issued').as('today'),
        days
          .where('day', '>=', dayOf(now, -6))
          .where('day', '<=', today)
          .select((sum) => sum.fn.sum<string>('issued').as('issued'))
          .as('week'),
      ];
    })
    .executeTakeFirstOrThrow();
  return {
    pendingTasks: count(row.pending),
    completedTasks: count(row.completed),
    todaysTasks: count(row.today),
    weekTasks: count(row.week),
  };
}

/**
 * The UTC day `offset` days from `now`'s, as a `date` parameter: written as text, since a Date
 * parameter would be sent in the process's time zone.
 */
function dayOf(now: Date, offset: number) {
  const day = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset),
  );
  return sql<Date>`${day.toISOString().slice(0, 10)}::date`;
}

// bigint and count(*) arrive as strings; a missing row (no tasks yet) as null.
function count(value: string | number | bigint | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}
