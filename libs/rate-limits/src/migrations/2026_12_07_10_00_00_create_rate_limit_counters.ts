import { sql, type Kysely } from 'kysely';

// One row per counted key (`account:<accountId>`, `key-exchange:<address>`, ...): the requests
// counted in its current window and when that window ends. The columns, their order and their names
// are the ones rate-limiter-flexible's PostgreSQL limiter writes (it inserts by position). `expire`
// is unix milliseconds as a double rather than the library's bigint: a window of a fractional
// number of seconds (RATE_LIMIT_BURST / RATE_LIMIT_PER_SECOND) ends on a fractional millisecond,
// which a bigint refuses. Not a read model and not a fact: counters that expire within seconds, in a
// schema of their own that a rebuild never touches. UNLOGGED: a count is written without the
// write-ahead log, so counting a request costs no disk flush; a crash of the server (or a failover
// to a replica, which never has the rows) empties the table, and every key starts a new window.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SCHEMA IF NOT EXISTS rate_limits`.execute(db);
  await sql`
    CREATE UNLOGGED TABLE rate_limits.counters (
      key text PRIMARY KEY,
      points int4 NOT NULL DEFAULT 0,
      expire float8
    )`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP SCHEMA rate_limits CASCADE`.execute(db);
}
