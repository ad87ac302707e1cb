/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Accounts register their nodes (NodeRegistered) under a hash unique per account, and may disable
// and enable them. A registered node has no capabilities until it first announces itself, so they
// become nullable. Platform nodes (account_id NULL) have no hash, description or key.
// The running-task count of the node list reads assigned tasks by node: a partial index on them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api.nodes')
    .addColumn('hash', 'text', (column) => column.check(sql`hash ~ '^[A-Za-z0-9_-]{1,64}$'`))
    .addColumn('description', 'text')
    .addColumn('disabled', 'boolean', (column) => column.notNull().defaultTo(false))
    .addColumn('registered_at', 'timestamptz')
    .addColumn('user_public_key', 'text')
    .execute();
  for (const column of ['cpu_count', 'mem_size', 'network_latency', 'privileged', 'slots'])
    await sql`ALTER TABLE api.nodes ALTER COLUMN ${sql.id(column)} DROP NOT NULL`.execute(db);
  await db.schema
    .alterTable('api.nodes')
    .addCheckConstraint(
      'nodes_registered_with_account',
      sql`(account_id IS NULL) = (hash IS NULL) AND (hash IS NULL) = (registered_at IS NULL)`,
    )
    .execute();
  await db.schema
    .createIndex('nodes_account_hash_key')
    .on('api.nodes')
    .columns(['account_id', 'hash'])
    .unique()
    .where(sql.ref('account_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('nodes_account_registered_idx')
    .on('api.nodes')
    .columns(['account_id', 'registered_at desc', 'node_id desc'])
    .where(sql.ref('account_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('tasks_assigned_node_idx')
    .on('api.tasks')
    .column('node_id')
    .where(sql.ref('state'), '=', 'assigned')
    .execute();
}

// Development only: registered nodes without their registration are platform nodes again, and
// those that never announced cannot be kept (their capabilities are unknown).
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX api.tasks_assigned_node_idx`.execute(db);
  await sql`DROP INDEX api.nodes_account_registered_idx`.execute(db);
  await sql`DROP INDEX api.nodes_account_hash_key`.execute(db);
  await db.schema.alterTable('api.nodes').dropConstraint('nodes_registered_with_account').execute();
  await sql`DELETE FROM api.nodes WHERE cpu_count IS NULL`.execute(db);
  for (const column of ['cpu_count', 'mem_size', 'network_latency', 'privileged', 'slots'])
    await sql`ALTER TABLE api.nodes ALTER COLUMN ${sql.id(column)} SET NOT NULL`.execute(db);
  await db.schema
    .alterTable('api.nodes')
    .dropColumn('hash')
    .dropColumn('description')
    .dropColumn('disabled')
    .dropColumn('registered_at')
    .dropColumn('user_public_key')
    .execute();
}
