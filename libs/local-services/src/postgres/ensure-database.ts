import pg from 'pg';
import { assertDatabaseName, databaseUrl } from './database-url.js';

// Two sessions creating the same database at once: the loser gets duplicate_database, or a
// unique_violation on pg_database's name index when both passed the existence check together.
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

/**
 * Creates database `name` on the server unless it exists (safe when several processes race) and
 * returns its URL. `serverUrl` may name any existing database on the server, usually `/postgres`.
 */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  assertDatabaseName(name);
  const client = new pg.Client({ connectionString: serverUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
      }
    }
  } finally {
    await client.end();
  }
  return databaseUrl(serverUrl, name);
}
