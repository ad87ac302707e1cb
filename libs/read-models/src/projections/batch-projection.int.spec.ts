import type { RecordedEvent } from '@canopy/event-store';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import { RecordingSubscription } from '@canopy/event-store/testing';
import { appendHistory, objectIdFactory, realisticHistory } from '../testing/event-history.js';
import {
  createReadModelTestDatabase,
  type ReadModelTestDatabase,
} from '../testing/read-model-test-database.js';
import { foldedReadModels, readModelSnapshot } from '../testing/read-model-snapshot.js';
import { StatementCounter } from '../testing/statement-counter.js';
import { holdProjectorLock, projectBatch } from './projection-group.js';
import { startOfEventStore, type ProjectionPosition } from './projection-position.js';
import { apiProjections } from './read-model-projections.js';

// A batch is applied set-based: however many events it holds, each projection reads and writes
// each of its tables once. Two histories of every kind of event, one four times the other, each
// projected as a single batch, take the same statements and end equal to the fold of the store.

let database: ReadModelTestDatabase;
let store: PostgresEventStore;
const streamIds: string[] = [];
let received: RecordedEvent[] = [];

beforeAll(async () => {
  database = await createReadModelTestDatabase('batch_projection');
  await migrateEventStore(database.url);
  store = new PostgresEventStore({ connectionString: database.url });
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** Appends a history and returns its events as a subscription delivers them. */
async function appendAndRead(tasks: number, startSeconds: number): Promise<RecordedEvent[]> {
  const history = realisticHistory({ tasks, newId: objectIdFactory(), startSeconds });
  await appendHistory(store, history);
  streamIds.push(...history.streamIds);
  const before = received.length;
  const total = before + history.eventCount;
  const subscription = new RecordingSubscription(store);
  try {
    received = await subscription.waitFor(`${total} events`, (events) => events.length >= total);
  } finally {
    await subscription.stop();
  }
  return received.slice(before);
}

async function projectAsOneBatch(
  from: ProjectionPosition,
  events: readonly RecordedEvent[],
): Promise<{ position: ProjectionPosition; statements: number }> {
  const counter = new StatementCounter();
  const position = await database.db
    .withPlugin(counter)
    .transaction()
    .execute(async (trx) => {
      await holdProjectorLock(trx, apiProjections);
      return projectBatch(trx, apiProjections, from, events);
    });
  return { position, statements: counter.count };
}

test('a batch takes the same statements whatever its size, and ends equal to the fold', async () => {
  const small = await appendAndRead(10, 0);
  const first = await projectAsOneBatch(startOfEventStore, small);
  const large = await appendAndRead(40, 3600);
  const second = await projectAsOneBatch(first.position, large);

  expect(large.length).toBeGreaterThan(2 * small.length);
  expect(second.statements).toBe(first.statements);
  expect(second.position.eventsApplied).toBe(small.length + large.length);
  expect(await readModelSnapshot(database.db)).toEqual(await foldedReadModels(store, streamIds));
});
