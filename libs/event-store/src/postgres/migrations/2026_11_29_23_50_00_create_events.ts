import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createSchema('event_store').ifNotExists().execute();
  await db.schema
    .withSchema('event_store')
    .createTable('events')
    .addColumn('global_position', 'bigint', (column) =>
      column.generatedAlwaysAsIdentity().primaryKey(),
    )
    .addColumn('stream_id', 'text', (column) => column.notNull())
    .addColumn('stream_version', 'bigint', (column) =>
      column.notNull().check(sql`stream_version > 0`),
    )
    .addColumn('event_id', 'uuid', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('data', 'jsonb', (column) => column.notNull())
    .addColumn('metadata', 'jsonb', (column) => column.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('recorded_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('transaction_id', sql`xid8`, (column) =>
      column.notNull().defaultTo(sql`pg_current_xact_id()`),
    )
    .addUniqueConstraint('events_event_id_key', ['event_id'])
    .addUniqueConstraint('events_stream_id_stream_version_key', ['stream_id', 'stream_version'])
    .execute();
  await db.schema
    .withSchema('event_store')
    .createIndex('events_transaction_id_global_position_idx')
    .on('events')
    .columns(['transaction_id', 'global_position'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.withSchema('event_store').dropTable('events').execute();
}
