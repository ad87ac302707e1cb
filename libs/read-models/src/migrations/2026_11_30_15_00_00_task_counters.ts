/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Counters the metrics endpoints read instead of counting tasks per request. The tasks projection
// keeps them, adding what each task's change of state adds or removes; here they start from what
// `api.tasks` already holds, so a database migrated with tasks in it counts them too.
// No `>= 0` checks: the projection upserts changes (-1 included), and PostgreSQL checks the row an
// INSERT proposes before ON CONFLICT turns it into an update.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api.account_task_counters')
    .addColumn('account_id', 'char(24)', (column) => column.primaryKey())
    .addColumn('pending', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('completed', 'bigint', (column) => column.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('api.function_task_counters')
    .addColumn('function_id', 'char(24)', (column) => column.primaryKey())
    .addColumn('account_id', 'char(24)', (column) => column.notNull())
    .addColumn('pending', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('completed', 'bigint', (column) => column.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('api.account_task_days')
    .addColumn('account_id', 'char(24)', (column) => column.notNull())
    .addColumn('day', 'date', (column) => column.notNull())
    .addColumn('issued', 'bigint', (column) => column.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('account_task_days_pkey', ['account_id', 'day'])
    .execute();
  await db.schema
    .createTable('api.function_task_days')
    .addColumn('function_id', 'char(24)', (column) => column.notNull())
    .addColumn('day', 'date', (column) => column.notNull())
    .addColumn('issued', 'bigint', (column) => column.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('function_task_days_pkey', ['function_id', 'day'])
    .execute();
  await db.schema
    .alterTable('api.nodes')
    .addColumn('running_tasks', 'integer', (column) => column.notNull().defaultTo(0))
    .execute();

  const comments: Record<string, string> = {
    'api.account_task_counters':
      'Per account: pending = its tasks not yet terminal (state pending or assigned); completed = its tasks that finished (TaskFinished, any status; failed tasks are not completed).',
    'api.function_task_counters':
      'Per function: pending and completed as in account_task_counters, for the tasks of the function.',
    'api.account_task_days': 'Per account and UTC day of issue: tasks issued.',
    'api.function_task_days': 'Per function and UTC day of issue: tasks issued.',
  };
  for (const [table, text] of Object.entries(comments))
    await sql`COMMENT ON TABLE ${sql.table(table)} IS ${sql.lit(text)}`.execute(db);
  await sql`COMMENT ON COLUMN api.nodes.running_tasks IS ${sql.lit(
    'Tasks assigned to the node right now (state assigned, the node of the current attempt).',
  )}`.execute(db);

  await sql`
    INSERT INTO api.account_task_counters (account_id, pending, completed)
    SELECT account_id,
           count(*) FILTER (WHERE state IN ('pending', 'assigned')),
           count(*) FILTER (WHERE state = 'finished')
    FROM api.tasks GROUP BY account_id
  `.execute(db);
  await sql`
    INSERT INTO api.function_task_counters (function_id, account_id, pending, completed)
    SELECT function_id, min(account_id),
           count(*) FILTER (WHERE state IN ('pending', 'assigned')),
           count(*) FILTER (WHERE state = 'finished')
    FROM api.tasks GROUP BY function_id
  `.execute(db);
  await sql`
    INSERT INTO api.account_task_days (account_id, day, issued)
    SELECT account_id, (issued_at AT TIME ZONE 'UTC')::date, count(*)
    FROM api.tasks GROUP BY 1, 2
  `.execute(db);
  await sql`
    INSERT INTO api.function_task_days (function_id, day, issued)
    SELECT function_id, (issued_at AT TIME ZONE 'UTC')::date, count(*)
    FROM api.tasks GROUP BY 1, 2
  `.execute(db);
  await sql`
    UPDATE api.nodes AS n SET running_tasks = t.running
    FROM (SELECT node_id, count(*) AS running FROM api.tasks WHERE state = 'assigned' GROUP BY node_id) AS t
    WHERE n.node_id = t.node_id
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api.nodes').dropColumn('running_tasks').execute();
  await db.schema.dropTable('api.function_task_days').execute();
  await db.schema.dropTable('api.account_task_days').execute();
  await db.schema.dropTable('api.function_task_counters').execute();
  await db.schema.dropTable('api.account_task_counters').execute();
}
