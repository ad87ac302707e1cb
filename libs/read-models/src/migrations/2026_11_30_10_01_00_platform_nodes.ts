/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Nodes belong to the platform for now (registration per account comes later), so account_id may
// be NULL. A node's availability follows its stream: NodeAnnounced makes it available, NodeLeft and
// NodeLost take it away (the reason says which). `available` replaces the text `status` column.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE api.nodes ALTER COLUMN account_id DROP NOT NULL`.execute(db);
  await db.schema
    .alterTable('api.nodes')
    .addColumn('available', 'boolean', (column) => column.notNull().defaultTo(false))
    .addColumn('unavailable_reason', 'text', (column) =>
      column.check(sql`unavailable_reason IN ('LEFT', 'LOST')`),
    )
    .addColumn('agent', 'text')
    .addColumn('changed_at', 'timestamptz')
    .addColumn('last_stream_version', 'bigint', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`last_stream_version >= 0`),
    )
    .execute();
  await sql`UPDATE api.nodes SET available = (status = 'online'), changed_at = updated_at`.execute(
    db,
  );
  await db.schema.alterTable('api.nodes').dropColumn('status').execute();
  await db.schema
    .alterTable('api.nodes')
    .addCheckConstraint(
      'nodes_unavailable_reason_when_unavailable',
      sql`NOT (available AND unavailable_reason IS NOT NULL)`,
    )
    .execute();
  await db.schema
    .createIndex('nodes_available_idx')
    .on('api.nodes')
    .columns(['available', 'node_id'])
    .execute();
}

// Development only: platform nodes have no account to go back to, so they are removed.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX api.nodes_available_idx`.execute(db);
  await db.schema
    .alterTable('api.nodes')
    .addColumn('status', 'text', (column) =>
      column
        .notNull()
        .defaultTo('online')
        .check(sql`status IN ('online', 'offline')`),
    )
    .execute();
  await sql`UPDATE api.nodes SET status = CASE WHEN available THEN 'online' ELSE 'offline' END`.execute(
    db,
  );
  await db.schema
    .alterTable('api.nodes')
    .dropConstraint('nodes_unavailable_reason_when_unavailable')
    .execute();
  await db.schema
    .alterTable('api.nodes')
    .dropColumn('available')
    .dropColumn('unavailable_reason')
    .dropColumn('agent')
    .dropColumn('changed_at')
    .dropColumn('last_stream_version')
    .execute();
  await sql`DELETE FROM api.nodes WHERE account_id IS NULL`.execute(db);
  await sql`ALTER TABLE api.nodes ALTER COLUMN account_id SET NOT NULL`.execute(db);
}
