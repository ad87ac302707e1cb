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
      ? new pg.Pool({ connectionString: connection })
      : { connect: () => connection.connect(), end: async () => undefined };
  return new Kysely<ReadModelDatabase>({ dialect: new PostgresDialect({ pool }) });
}
