/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// api.schedules holds a schedule as its stream defines it (ScheduleCreated / Changed / Paused /
// Resumed / Deleted / Ticked), so the gateway can list and show schedules: the request its tasks
// carry, the window, pause and deletion, and the last tick fired. The next tick is computed from the
// cron when read. No projection wrote the table before this migration, so it is empty: `enabled` is
// replaced by `paused`, and the defaults only let the columns be added.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api.schedules')
    .dropColumn('enabled')
    .addColumn('query', 'text', (column) => column.notNull().defaultTo(''))
    .addColumn('content_type', 'text')
    .addColumn('body', 'bytea', (column) => column.notNull().defaultTo(sql`'\\x'::bytea`))
    .addColumn('start_at', 'timestamptz')
    .addColumn('end_at', 'timestamptz')
    .addColumn('paused', 'boolean', (column) => column.notNull().defaultTo(false))
    .addColumn('deleted', 'boolean', (column) => column.notNull().defaultTo(false))
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('active_since', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('last_tick_at', 'timestamptz')
    .addColumn('last_task_id', 'char(24)')
    .addColumn('tick_count', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('last_stream_version', 'bigint', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`last_stream_version >= 0`),
    )
    .execute();
  await sql`
    ALTER TABLE api.schedules
      ALTER COLUMN query DROP DEFAULT,
      ALTER COLUMN body DROP DEFAULT,
      ALTER COLUMN active_since DROP DEFAULT,
      ALTER COLUMN last_stream_version DROP DEFAULT
  `.execute(db);
  // The schedule list: an account's live schedules, newest first, in keyset pages.
  await db.schema
    .createIndex('schedules_account_created_idx')
    .on('api.schedules')
    .columns(['account_id', 'created_at', 'schedule_id'])
    .where(sql.ref('deleted'), '=', false)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX api.schedules_account_created_idx`.execute(db);
  await db.schema
    .alterTable('api.schedules')
    .dropColumn('query')
    .dropColumn('content_type')
    .dropColumn('body')
    .dropColumn('start_at')
    .dropColumn('end_at')
    .dropColumn('paused')
    .dropColumn('deleted')
    .dropColumn('deleted_at')
    .dropColumn('active_since')
    .dropColumn('last_tick_at')
    .dropColumn('last_task_id')
    .dropColumn('tick_count')
    .dropColumn('last_stream_version')
    .addColumn('enabled', 'boolean', (column) => column.notNull().defaultTo(true))
    .execute();
}
