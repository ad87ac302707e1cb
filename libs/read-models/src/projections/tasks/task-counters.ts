import { sql, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../../schema/read-model-database.js';
import { isTerminal, type ProjectedTask } from './projected-task.js';

// The metrics counters (api.account_task_counters, api.function_task_counters, api.*_task_days,
// api.nodes.running_tasks) are sums over tasks of what each task contributes in its current state:
// 1 pending while not terminal, 1 completed once finished, 1 running on the node of its current
// assignment, 1 issued on its day. The tasks projection knows each task's state before and after a
// batch, under its replay guard, so the counters change by the difference, exactly once; and they
// always equal the same sums over a fold of the store, whatever the batches.

/** A task as the counters see it. */
export interface CountedTask {
  readonly accountId: string;
  readonly functionId: string;
  /** When it was issued: its UTC day is the day it counts on. */
  readonly issuedAt: Date | string;
  readonly task: ProjectedTask;
}

interface Contribution {
  readonly pending: number;
  readonly completed: number;
  readonly runningOn: string | null;
}

function contribution(task: ProjectedTask): Contribution {
  return {
    pending: isTerminal(task.state) ? 0 : 1,
    completed: task.state === 'finished' ? 1 : 0,
    runningOn: task.state === 'assigned' ? task.nodeId : null,
  };
}

/** `YYYY-MM-DD` of the UTC day `at` falls on. */
export function utcDay(at: Date | string): string {
  return new Date(at).toISOString().slice(0, 10);
}

interface CounterChange {
  pending: number;
  completed: number;
}

/** What a batch changes in the counters, accumulated task by task. */
export class TaskCounterChanges {
  readonly accounts = new Map<string, CounterChange>();
  readonly functions = new Map<string, CounterChange & { readonly accountId: string }>();
  /** Keyed `<accountId> <day>`. */
  readonly accountDays = new Map<string, number>();
  /** Keyed `<functionId> <day>`. */
  readonly functionDays = new Map<string, number>();
  /** Change of running tasks per node; nodes with no change are left out. */
  readonly nodes = new Map<string, number>();

  /**
   * Counts one task's change: from `before` (null: the batch issued it) to `after`. A new task
   * creates its counter rows even when it also became terminal in the batch (so they exist, at 0,
   * as the fold has them).
   */
  add(before: ProjectedTask | null, after: CountedTask): void {
    const from =
      before === null ? { pending: 0, completed: 0, runningOn: null } : contribution(before);
    const to = contribution(after.task);
    const pending = to.pending - from.pending;
    const completed = to.completed - from.completed;
    if (before === null || pending !== 0 || completed !== 0) {
      const account = this.accounts.get(after.accountId) ?? { pending: 0, completed: 0 };
      account.pending += pending;
      account.completed += completed;
      this.accounts.set(after.accountId, account);
      const fn = this.functions.get(after.functionId) ?? {
        accountId: after.accountId,
        pending: 0,
        completed: 0,
      };
      fn.pending += pending;
      fn.completed += completed;
      this.functions.set(after.functionId, fn);
    }
    if (before === null) {
      const day = utcDay(after.issuedAt);
      increment(this.accountDays, `${after.accountId} ${day}`, 1);
      increment(this.functionDays, `${after.functionId} ${day}`, 1);
    }
    if (from.runningOn !== to.runningOn) {
      if (from.runningOn !== null) increment(this.nodes, from.runningOn, -1);
      if (to.runningOn !== null) increment(this.nodes, to.runningOn, 1);
    }
  }
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

// Statements stay well below PostgreSQL's 65 535 parameters whatever the batch size.
const ROWS_PER_STATEMENT = 1000;

/** Adds `changes` to the counter tables, in the caller's (the batch's) transaction. */
export async function writeTaskCounterChanges(
  trx: Transaction<ReadModelDatabase>,
  changes: TaskCounterChanges,
): Promise<void> {
  for (const rows of chunks([...changes.accounts], ROWS_PER_STATEMENT)) {
    await trx
      .insertInto('api.account_task_counters')
      .values(rows.map(([accountId, change]) => ({ account_id: accountId, ...change })))
      .onConflict((conflict) =>
        conflict.column('account_id').doUpdateSet((update) => ({
          pending: update(
            update.ref('api.account_task_counters.pending'),
            '+',
            update.ref('excluded.pending'),
          ),
          completed: update(
            update.ref('api.account_task_counters.completed'),
            '+',
            update.ref('excluded.completed'),
          ),
        })),
      )
      .execute();
  }
  for (const rows of chunks([...changes.functions], ROWS_PER_STATEMENT)) {
    await trx
      .insertInto('api.function_task_counters')
      .values(
        rows.map(([functionId, { accountId, pending, completed }]) => ({
          function_id: functionId,
          account_id: accountId,
          pending,
          completed,
        })),
      )
      .onConflict((conflict) =>
        conflict.column('function_id').doUpdateSet((update) => ({
          pending: update(
            update.ref('api.function_task_counters.pending'),
            '+',
            update.ref('excluded.pending'),
          ),
          completed: update(
            update.ref('api.function_task_counters.completed'),
            '+',
            update.ref('excluded.completed'),
          ),
        })),
      )
      .execute();
  }
  for (const rows of chunks([...changes.accountDays], ROWS_PER_STATEMENT)) {
    await trx
      .insertInto('api.account_task_days')
      .values(
        rows.map(([key, issued]) => {
          const [accountId = '', day = ''] = key.split(' ');
          return { account_id: accountId, day, issued };
        }),
      )
      .onConflict((conflict) =>
        conflict.columns(['account_id', 'day']).doUpdateSet((update) => ({
          issued: update(
            update.ref('api.account_task_days.issued'),
            '+',
            update.ref('excluded.issued'),
          ),
        })),
      )
      .execute();
  }
  for (const rows of chunks([...changes.functionDays], ROWS_PER_STATEMENT)) {
    await trx
      .insertInto('api.function_task_days')
      .values(
        rows.map(([key, issued]) => {
          const [functionId = '', day = ''] = key.split(' ');
          return { function_id: functionId, day, issued };
        }),
      )
      .onConflict((conflict) =>
        conflict.columns(['function_id', 'day']).doUpdateSet((update) => ({
          issued: update(
            update.ref('api.function_task_days.issued'),
            '+',
            update.ref('excluded.issued'),
          ),
        })),
      )
      .execute();
  }
  // One statement per distinct change (almost always +1 and -1), nodes of a change together. A node
  // without a row (a task assigned to a node the read models do not know) is not counted.
  const nodesByChange = new Map<number, string[]>();
  for (const [nodeId, change] of changes.nodes) {
    if (change !== 0) nodesByChange.set(change, [...(nodesByChange.get(change) ?? []), nodeId]);
  }
  for (const [change, nodeIds] of nodesByChange) {
    for (const ids of chunks(nodeIds, ROWS_PER_STATEMENT)) {
      await trx
        .updateTable('api.nodes')
        .set((update) => ({
          running_tasks: update(update.ref('running_tasks'), '+', sql.lit(change)),
        }))
        .where('node_id', 'in', ids)
        .execute();
    }
  }
}

function chunks<Item>(items: readonly Item[], size: number): Item[][] {
  const result: Item[][] = [];
  for (let start = 0; start < items.length; start += size)
    result.push(items.slice(start, start + size));
  return result;
}
