import { sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import { createReadModelDb } from './read-model-db.js';

describe('read model database connections', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('read_model_db');
  });

  afterAll(async () => {
    await database.drop();
  });

  test('a connection the server kills inside a transaction fails its query, not the process', async () => {
    const db = createReadModelDb(database.url);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const transaction = db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        await sql`SELECT pg_sleep(0.2)`.execute(trx);
      });
      await expect(transaction).rejects.toThrow();
      // The pool replaces the dead connection: the next query works.
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await db.destroy();
    }
  });
});
