import type { ServiceLogger } from '@canopy/service-runtime';
import pg from 'pg';

/**
 * A pool whose connections may die at any time without taking the process with them: pg emits
 * 'error' on a connection the server dropped, and a connection checked out of the pool (inside a
 * transaction, between two queries) has no listener, which would make it an uncaught exception.
 * The query in flight fails on its own; the projector retries its batch.
 */
export function openDatabasePool(
  connectionString: string,
  applicationName: string,
  logger: ServiceLogger,
): pg.Pool {
  const pool = new pg.Pool({ connectionString, application_name: applicationName });
  pool.on('error', (error) =>
    logger.warn({ reason: error.message }, 'an idle database connection failed'),
  );
  pool.on('connect', (client) => {
    client.on('error', (error) =>
      logger.warn({ reason: error.message }, 'a database connection failed'),
    );
  });
  return pool;
}
