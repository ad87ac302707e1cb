/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// The API's read models. Every list and CSV filter has an index that serves it with keyset
// pagination, newest first: (issued_at, task_id) is the cursor.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createSchema('api').ifNotExists().execute();

  await db.schema
    .createTable('api.tasks')
    .addColumn('task_id', 'char(24)', (column) => column.primaryKey())
    .addColumn('account_id', 'char(24)', (column) => column.notNull())
    .addColumn('function_id', 'char(24)', (column) => column.notNull())
    .addColumn('schedule_id', 'char(24)')
    .addColumn('state', 'text', (column) =>
      column.notNull().check(sql`state IN ('pending', 'assigned', 'finished', 'failed')`),
    )
    .addColumn('progress', 'smallint', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`progress BETWEEN 0 AND 100`),
    )
    .addColumn('status', 'smallint', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`status = 0 OR status BETWEEN 100 AND 599`),
    )
    .addColumn('node_id', 'text')
    .addColumn('attempt', 'integer', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`attempt >= 0`),
    )
    .addColumn('timeout_seconds', 'integer', (column) =>
      column.notNull().check(sql`timeout_seconds > 0`),
    )
    .addColumn('cpu_count', 'integer', (column) => column.notNull().check(sql`cpu_count >= 0`))
    .addColumn('mem_size', 'integer', (column) => column.notNull().check(sql`mem_size >= 0`))
    .addColumn('network_latency', 'integer', (column) =>
      column.notNull().check(sql`network_latency >= 0`),
    )
    .addColumn('privileged', 'boolean', (column) => column.notNull())
    .addColumn('failure_reason', 'text')
    .addColumn('issued_at', 'timestamptz', (column) => column.notNull())
    .addColumn('assigned_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('last_stream_version', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    // A task is terminal exactly when it has a status; only a failed task has a failure reason.
    .addCheckConstraint(
      'tasks_status_when_terminal',
      sql`(state IN ('finished', 'failed')) = (status <> 0)`,
    )
    .addCheckConstraint(
      'tasks_failure_reason_when_failed',
      sql`(failure_reason IS NOT NULL) = (state = 'failed')`,
    )
    .execute();

  await db.schema
    .createIndex('tasks_account_issued_idx')
    .on('api.tasks')
    .columns(['account_id', 'issued_at desc', 'task_id desc'])
    .execute();
  await db.schema
    .createIndex('tasks_account_function_issued_idx')
    .on('api.tasks')
    .columns(['account_id', 'function_id', 'issued_at desc', 'task_id desc'])
    .execute();
  await db.schema
    .createIndex('tasks_account_schedule_issued_idx')
    .on('api.tasks')
    .columns(['account_id', 'schedule_id', 'issued_at', 'task_id'])
    .where('schedule_id', 'is not', null)
    .execute();
  await db.schema
    .createIndex('tasks_account_status_issued_idx')
    .on('api.tasks')
    .columns(['account_id', 'status', 'issued_at desc', 'task_id desc'])
    .execute();

  await db.schema
    .createTable('api.task_results')
    .addColumn('task_id', 'char(24)', (column) => column.primaryKey())
    .addColumn('status', 'smallint', (column) =>
      column.notNull().check(sql`status BETWEEN 100 AND 599`),
    )
    .addColumn('content_type', 'text')
    .addColumn('headers', 'jsonb', (column) => column.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('body', 'bytea', (column) => column.notNull())
    .addColumn('finished_at', 'timestamptz', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('api.functions')
    .addColumn('function_id', 'char(24)', (column) => column.primaryKey())
    .addColumn('account_id', 'char(24)', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('description', 'text')
    .addColumn('cpu_count', 'integer', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`cpu_count >= 0`),
    )
    .addColumn('mem_size', 'integer', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`mem_size >= 0`),
    )
    .addColumn('network_latency', 'integer', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`network_latency >= 0`),
    )
    .addColumn('privileged', 'boolean', (column) => column.notNull().defaultTo(false))
    .addColumn('timeout_seconds', 'integer', (column) =>
      column.notNull().check(sql`timeout_seconds > 0`),
    )
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('functions_account_created_idx')
    .on('api.functions')
    .columns(['account_id', 'created_at desc', 'function_id desc'])
    .execute();

  await db.schema
    .createTable('api.nodes')
    .addColumn('node_id', 'text', (column) =>
      column.primaryKey().check(sql`node_id ~ '^[A-Za-z0-9_-]{1,64}$'`),
    )
    .addColumn('account_id', 'char(24)', (column) => column.notNull())
    .addColumn('name', 'text')
    .addColumn('cpu_count', 'integer', (column) => column.notNull().check(sql`cpu_count >= 0`))
    .addColumn('mem_size', 'integer', (column) => column.notNull().check(sql`mem_size >= 0`))
    .addColumn('network_latency', 'integer', (column) =>
      column.notNull().check(sql`network_latency >= 0`),
    )
    .addColumn('privileged', 'boolean', (column) => column.notNull())
    .addColumn('slots', 'integer', (column) => column.notNull().check(sql`slots >= 0`))
    .addColumn('status', 'text', (column) =>
      column
        .notNull()
        .defaultTo('online')
        .check(sql`status IN ('online', 'offline')`),
    )
    .addColumn('last_seen_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('nodes_account_idx')
    .on('api.nodes')
    .columns(['account_id', 'node_id'])
    .execute();

  await db.schema
    .createTable('api.schedules')
    .addColumn('schedule_id', 'char(24)', (column) => column.primaryKey())
    .addColumn('account_id', 'char(24)', (column) => column.notNull())
    .addColumn('function_id', 'char(24)', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('description', 'text')
    .addColumn('cron', 'text', (column) => column.notNull())
    .addColumn('time_zone', 'text', (column) => column.notNull().defaultTo('UTC'))
    .addColumn('enabled', 'boolean', (column) => column.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('schedules_account_function_idx')
    .on('api.schedules')
    .columns(['account_id', 'function_id'])
    .execute();

  await db.schema
    .createTable('api.projection_checkpoints')
    .addColumn('projection', 'text', (column) => column.primaryKey())
    .addColumn('checkpoint', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropSchema('api').ifExists().cascade().execute();
}
