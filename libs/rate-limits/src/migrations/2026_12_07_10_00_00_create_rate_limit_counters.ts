import { sql, type Kysely } from 'kysely';

// One row per counted key (`account:<accountId>`, `key-exchange:<address>`, ...): the requests
// counted in its current window and when that window ends, by the database's clock. Not a read
// model and not a fact: counters that expire within seconds, in a schema of their own that a rebuild
// never touches. UNLOGGED: a count is written without the write-ahead log, so counting requests
// costs no disk flush; a crash of the server (or a failover to a replica, which never has the rows)
// empties the table, and every key starts a new window.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SCHEMA IF NOT EXISTS rate_limits`.execute(db);
  await sql`
    CREATE UNLOGGED TABLE rate_limits.counters (
      key text PRIMARY KEY,
      count int4 NOT NULL,
      window_ends_at timestamptz NOT NULL
    )`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP SCHEMA rate_limits CASCADE`.execute(db);
}
