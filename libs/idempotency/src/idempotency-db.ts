import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { IdempotencyDatabase } from './idempotency-keys-table.js';

/**
 * A kysely instance over the idempotency keys, with a small pool of its own (`db.destroy()` ends
 * it): one claim and one completion per request that carries a key.
 */
export function createIdempotencyDb(
  connectionString: string,
  maxConnections = 4,
): Kysely<IdempotencyDatabase> {
  const pool = new pg.Pool({ connectionString, max: maxConnections });
  // A server that drops a connection must not take the process with it: the query in flight fails
  // and is reported to its caller.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<IdempotencyDatabase>({ dialect: new PostgresDialect({ pool }) });
}
