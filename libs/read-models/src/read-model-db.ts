import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { ReadModelDatabase } from './schema/read-model-database.js';

/**
 * A typed kysely instance over the read models. Given a URL it owns a new pool, which
 * `db.destroy()` ends; given a pool it borrows it, and `db.destroy()` leaves the pool open.
 */
export function createReadModelDb(connection: string | pg.Pool): Kysely<ReadModelDatabase> {
  const pool =
    typeof connection === 'string'
      ? ownPool(connection)
      : { connect: () => connection.connect(), end: async () => undefined };
  return new Kysely<ReadModelDatabase>({ dialect: new PostgresDialect({ pool }) });
}

// A server that drops a connection must not take the process with it: pg emits 'error' on the
// connection, idle (the pool's listener) or checked out (its own listener); the query in flight
// fails and is reported to its caller.
function ownPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
