import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** Connection string of the fresh database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (terminating leftover connections). */
  drop(): Promise<void>;
}

/** The server that tests provision their databases on: set by Jest's global setup. */
export function testServerUrl(): string {
  return process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The NATS server tests talk to: set by Jest's global setup. */
export function testNatsUrl(): string {
  return process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
}

/** Creates an isolated, empty database for one test file, so files can run in parallel. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `canopy_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const serverUrl = new URL(testServerUrl());
  const admin = new pg.Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
