import { eventually } from '@canopy/async-testing';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import { RecordingSubscription } from '@canopy/event-store/testing';
import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import { createReadModelDb, migrateReadModels, type ReadModelDatabase } from '@canopy/read-models';
import { apiProjections } from '@canopy/read-models/projections';
import { appendHistory, realisticHistory } from '@canopy/read-models/testing';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { LiveProjection } from './live-projection.js';

let database: TestDatabase;
let store: PostgresEventStore;
let db: Kysely<ReadModelDatabase>;

beforeAll(async () => {
  database = await createTestDatabase('live_projection');
  await migrateEventStore(database.url);
  store = new PostgresEventStore({ connectionString: database.url });
  db = createReadModelDb(database.url);
  await migrateReadModels(db);
});

afterAll(async () => {
  await store?.close();
  await db?.destroy();
  await database?.drop();
});

test('a caught-up projector waiting for commits to gather stops at once, its batch kept', async () => {
  const history = realisticHistory({ tasks: 2 });
  await appendHistory(store, history);
  // Reads hold back events behind any transaction still writing on the server, in any database (the
  // event store's fence): another test's may be open now. Once a reader sees the whole history, every
  // later read does, and the projector's first read takes all of it.
  const reader = new RecordingSubscription(store);
  await reader.waitFor('the whole history', (events) => events.length >= history.eventCount);
  await reader.stop();
  const batches: number[] = [];
  const projection = new LiveProjection({
    db,
    store,
    group: apiProjections,
    batchSize: 10_000,
    // An hour: only a wait that stopping ends lets stop() return within the test's time.
    lingerMs: 3_600_000,
    lagLogIntervalMs: 60_000,
    logger: pino({ level: 'silent' }),
    onCommitted: (events) => void batches.push(events.length),
  });
  projection.start();
  // The history fits one batch, which is not full: the projector is now waiting.
  await eventually(() => expect(batches).toEqual([history.eventCount]));

  await projection.stop();

  expect(projection.progress().position.eventsApplied).toBe(history.eventCount);
  const tasks = await db.selectFrom('api.tasks').select('task_id').execute();
  expect(tasks).toHaveLength(2);
});
