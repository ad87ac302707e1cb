import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testServerUrl } from '../testing/test-database.js';
import { ensureDatabase } from './ensure-database.js';
import { probePostgres } from './probe-postgres.js';

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: testServerUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

describe('ensureDatabase', () => {
  const name = `canopy_ensure_${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    await dropDatabase(name);
  });

  test('creates a missing database once, even when several callers race, and returns its URL', async () => {
    const urls = await Promise.all(
      Array.from({ length: 6 }, () => ensureDatabase(testServerUrl(), name)),
    );
    const expected = new URL(testServerUrl());
    expected.pathname = `/${name}`;
    expect(new Set(urls)).toEqual(new Set([expected.toString()]));
    expect(await probePostgres(expected.toString())).toMatchObject({ answers: true });
  });

  test('leaves an existing database alone', async () => {
    const url = await ensureDatabase(testServerUrl(), name);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE TABLE IF NOT EXISTS marker (id int)');
    } finally {
      await client.end();
    }
    const again = await ensureDatabase(testServerUrl(), name);
    const check = new pg.Client({ connectionString: again });
    await check.connect();
    try {
      const result = await check.query(`SELECT to_regclass('marker') IS NOT NULL AS kept`);
      expect(result.rows[0]).toEqual({ kept: true });
    } finally {
      await check.end();
    }
  });

  test('refuses a name PostgreSQL would truncate', async () => {
    await expect(ensureDatabase(testServerUrl(), 'x'.repeat(64))).rejects.toThrow(/63-byte/);
  });
});
