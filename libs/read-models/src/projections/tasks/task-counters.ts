import { sql, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../../schema/read-model-database.js';
import { columnNames, unnestRows, type RowSetColumns } from '../unnest-rows.js';
import type { PendingWrite } from '../write-together.js';
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

interface AccountCounterChange {
  readonly account_id: string;
  readonly pending: number;
  readonly completed: number;
}

interface FunctionCounterChange extends AccountCounterChange {
  readonly function_id: string;
}

interface AccountDayChange {
  readonly account_id: string;
  readonly day: string;
  readonly issued: number;
}

interface FunctionDayChange {
  readonly function_id: string;
  readonly day: string;
  readonly issued: number;
}

interface NodeChange {
  readonly node_id: string;
  readonly change: number;
}

const accountColumns: RowSetColumns<AccountCounterChange> = {
  account_id: 'text',
  pending: 'int8',
  completed: 'int8',
};
const functionColumns: RowSetColumns<FunctionCounterChange> = {
  function_id: 'text',
  account_id: 'text',
  pending: 'int8',
  completed: 'int8',
};
const accountDayColumns: RowSetColumns<AccountDayChange> = {
  account_id: 'text',
  day: 'date',
  issued: 'int8',
};
const functionDayColumns: RowSetColumns<FunctionDayChange> = {
  function_id: 'text',
  day: 'date',
  issued: 'int8',
};
const nodeColumns: RowSetColumns<NodeChange> = { node_id: 'text', change: 'int4' };

/**
 * The writes that add `changes` to the counter tables (for `writeTogether`, in the batch's
 * transaction): one per table that changes, whatever the number of keys.
 */
export function taskCounterWrites(
  trx: Transaction<ReadModelDatabase>,
  changes: TaskCounterChanges,
): PendingWrite[] {
  const writes: PendingWrite[] = [];
  const accounts = [...changes.accounts].map(([accountId, { pending, completed }]) => ({
    account_id: accountId,
    pending,
    completed,
  }));
  if (accounts.length > 0) {
    writes.push(
      trx
        .insertInto('api.account_task_counters')
        .columns(columnNames(accountColumns))
        .expression(unnestRows(accountColumns, accounts))
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
        ),
    );
  }
  const functions = [...changes.functions].map(
    ([functionId, { accountId, pending, completed }]) => ({
      function_id: functionId,
      account_id: accountId,
      pending,
      completed,
    }),
  );
  if (functions.length > 0) {
    writes.push(
      trx
        .insertInto('api.function_task_counters')
        .columns(columnNames(functionColumns))
        .expression(unnestRows(functionColumns, functions))
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
        ),
    );
  }
  const accountDays = [...changes.accountDays].map(([key, issued]) => {
    const [accountId = '', day = ''] = key.split(' ');
    return { account_id: accountId, day, issued };
  });
  if (accountDays.length > 0) {
    writes.push(
      trx
        .insertInto('api.account_task_days')
        .columns(columnNames(accountDayColumns))
        .expression(unnestRows(accountDayColumns, accountDays))
        .onConflict((conflict) =>
          conflict.columns(['account_id', 'day']).doUpdateSet((update) => ({
            issued: update(
              update.ref('api.account_task_days.issued'),
              '+',
              update.ref('excluded.issued'),
            ),
          })),
        ),
    );
  }
  const functionDays = [...changes.functionDays].map(([key, issued]) => {
    const [functionId = '', day = ''] = key.split(' ');
    return { function_id: functionId, day, issued };
  });
  if (functionDays.length > 0) {
    writes.push(
      trx
        .insertInto('api.function_task_days')
        .columns(columnNames(functionDayColumns))
        .expression(unnestRows(functionDayColumns, functionDays))
        .onConflict((conflict) =>
          conflict.columns(['function_id', 'day']).doUpdateSet((update) => ({
            issued: update(
              update.ref('api.function_task_days.issued'),
              '+',
              update.ref('excluded.issued'),
            ),
          })),
        ),
    );
  }
  // A node without a row (a task assigned to a node the read models do not know) is not counted.
  const nodes = [...changes.nodes]
    .filter(([, change]) => change !== 0)
    .map(([nodeId, change]) => ({ node_id: nodeId, change }));
  if (nodes.length > 0) {
    writes.push(
      trx
        .updateTable('api.nodes')
        .from(sql<NodeChange>`(${unnestRows(nodeColumns, nodes)})`.as('c'))
        .set((update) => ({
          running_tasks: update(update.ref('api.nodes.running_tasks'), '+', update.ref('c.change')),
        }))
        .whereRef('api.nodes.node_id', '=', 'c.node_id'),
    );
  }
  return writes;
}
