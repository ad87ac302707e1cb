/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Accounts and their API keys, for listing and for analysts. Never the key hashes: the gateway
// authenticates from the account's stream, and a read model is no place for credentials.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api.accounts')
    .addColumn('account_id', 'char(24)', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull())
    .addColumn('last_stream_version', 'bigint', (column) =>
      column.notNull().check(sql`last_stream_version >= 0`),
    )
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api.api_keys')
    .addColumn('account_id', 'char(24)', (column) => column.notNull())
    .addColumn('key_id', 'char(12)', (column) => column.notNull())
    .addColumn('label', 'text')
    .addColumn('issued_at', 'timestamptz', (column) => column.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addPrimaryKeyConstraint('api_keys_pkey', ['account_id', 'key_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api.api_keys').execute();
  await db.schema.dropTable('api.accounts').execute();
}
