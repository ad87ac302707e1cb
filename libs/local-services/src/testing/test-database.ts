import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { redactConnectionUrl } from '../connection-url.js';
import { databaseUrl, localPostgresUrl } from '../postgres/database-url.js';
import { STANDARD_NATS_PORT } from '../nats/ensure-nats.js';
import { STANDARD_POSTGRES_PORT } from '../postgres/ensure-postgres.js';

export interface TestDatabase {
  /** Connection string of the fresh database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (terminating leftover connections). Safe to call twice. */
  drop(): Promise<void>;
}

/** The server that tests provision their databases on: set by Jest's global setup. */
export function testServerUrl(): string {
  return process.env['DATABASE_URL'] ?? localPostgresUrl(STANDARD_POSTGRES_PORT);
}

/** The NATS server tests talk to: set by Jest's global setup. */
export function testNatsUrl(): string {
  return process.env['NATS_URL'] ?? `nats://127.0.0.1:${STANDARD_NATS_PORT}`;
}

// canopy_ + label + _ + 8 hex digits must stay within PostgreSQL's 63-byte identifiers, or the
// server would truncate the name and the URL would point at a database that does not exist.
const MAX_LABEL_LENGTH = 63 - 'canopy_'.length - 1 - 8;

const LINGERING_CONNECTIONS_GRACE_MS = 1_000;

/** Creates an isolated, empty database for one test file, so files can run in parallel. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const safeLabel = label
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase()
    .slice(0, MAX_LABEL_LENGTH);
  const name = `canopy_${safeLabel}_${randomBytes(4).toString('hex')}`;
  const serverUrl = testServerUrl();
  await withServer(serverUrl, (admin) =>
    admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`),
  );
  let dropped = false;
  return {
    url: databaseUrl(serverUrl, name),
    name,
    async drop() {
      if (dropped) return;
      await withServer(serverUrl, async (admin) => {
        // Connections the test closed a moment ago may still be on their way out: let them go
        // before FORCE terminates the rest, which their clients would see as an error.
        const deadline = Date.now() + LINGERING_CONNECTIONS_GRACE_MS;
        while (Date.now() < deadline) {
          const { rows } = await admin.query<{ open: number }>(
            'SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if ((rows[0]?.open ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
      });
      dropped = true;
    },
  };
}

async function withServer(
  serverUrl: string,
  work: (admin: pg.Client) => Promise<unknown>,
): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `test PostgreSQL at ${redactConnectionUrl(serverUrl)} does not answer (Jest's global setup provisions it and sets DATABASE_URL): ${String(error)}`,
      { cause: error },
    );
  }
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}
