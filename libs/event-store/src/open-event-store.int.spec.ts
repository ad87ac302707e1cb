import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import pg from 'pg';
import { openEventStore } from './open-event-store.js';
import type { EventStore } from './port/event-store.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('open_event_store');
});

afterAll(async () => {
  await database?.drop();
});

async function appendAndRead(store: EventStore): Promise<string[]> {
  const streamId = `opened-${randomUUID()}`;
  await store.appendToStream(streamId, [{ id: randomUUID(), type: 'Opened', data: {} }], {
    expectedVersion: 'no_stream',
  });
  return (await store.readStream(streamId)).map((event) => event.type);
}

describe('openEventStore on PostgreSQL', () => {
  test('migrates the database and opens a store with a pool of its own', async () => {
    const store = await openEventStore({ kind: 'postgres', connectionString: database.url });
    try {
      expect(await appendAndRead(store)).toEqual(['Opened']);
    } finally {
      await store.close();
    }
  });

  test("borrows the caller's pool and leaves it open when it closes", async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    try {
      const store = await openEventStore(
        { kind: 'postgres', connectionString: database.url },
        { pool },
      );
      expect(await appendAndRead(store)).toEqual(['Opened']);
      await store.close();

      const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
