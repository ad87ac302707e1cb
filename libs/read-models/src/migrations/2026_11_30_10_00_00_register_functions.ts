/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// api.functions holds a function as it was registered (FunctionRegistered), so the gateway can
// answer GET /v1/function/:id from it: GreenCloud's lang and type, and the runtime spec nodes run.
// The projector is the only writer and did not exist before this migration, so the table is empty:
// the defaults only let the columns be added, and are dropped so that every insert names them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api.functions')
    .addColumn('lang', 'text', (column) => column.notNull().defaultTo(''))
    .addColumn('type', 'text', (column) => column.notNull().defaultTo(''))
    .addColumn('runtime', 'jsonb', (column) => column.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('last_stream_version', 'bigint', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`last_stream_version >= 0`),
    )
    .execute();
  await sql`
    ALTER TABLE api.functions
      ALTER COLUMN lang DROP DEFAULT,
      ALTER COLUMN type DROP DEFAULT,
      ALTER COLUMN runtime DROP DEFAULT,
      ALTER COLUMN last_stream_version DROP DEFAULT
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api.functions')
    .dropColumn('lang')
    .dropColumn('type')
    .dropColumn('runtime')
    .dropColumn('last_stream_version')
    .execute();
}
