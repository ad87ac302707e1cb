import pg from 'pg';
import { describeError } from '../error-description.js';

export type PostgresProbe =
  | { readonly answers: true; readonly serverVersion: string }
  | { readonly answers: false; readonly reason: string };

/** Connects and runs one query; never throws. */
export async function probePostgres(url: string, timeoutMs = 3_000): Promise<PostgresProbe> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  // A server that goes away mid-probe emits 'error' on the client; the awaited calls report it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return { answers: true, serverVersion: result.rows[0]?.server_version ?? 'unknown' };
  } catch (error) {
    return { answers: false, reason: describeError(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
