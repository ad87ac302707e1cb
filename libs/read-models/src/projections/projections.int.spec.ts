import type { RecordedEvent } from '@canopy/event-store';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import { RecordingSubscription } from '@canopy/event-store/testing';
import { sql } from 'kysely';
import { appendHistory, realisticHistory } from '../testing/event-history.js';
import {
  createReadModelTestDatabase,
  type ReadModelTestDatabase,
} from '../testing/read-model-test-database.js';
import { foldedReadModels, readModelSnapshot } from '../testing/read-model-snapshot.js';
import { holdProjectorLock, projectBatch, type ProjectionGroup } from './projection-group.js';
import { startOfEventStore, type ProjectionPosition } from './projection-position.js';
import { inReadModelSchema } from './read-model-schema.js';
import { apiProjections } from './read-model-projections.js';
import { REBUILD_SCHEMA, createRebuildSchema } from './rebuild/read-model-swap.js';

describe('the api projections', () => {
  let database: ReadModelTestDatabase;
  let store: PostgresEventStore;
  let events: RecordedEvent[];
  let streamIds: string[];

  async function projectAll(
    group: ProjectionGroup,
    schema: string,
    batchSize: number,
    from: ProjectionPosition = startOfEventStore,
  ): Promise<ProjectionPosition> {
    let position = from;
    for (let start = 0; start < events.length; start += batchSize) {
      const batch = events.slice(start, start + batchSize);
      position = await database.db.transaction().execute(async (trx) => {
        await holdProjectorLock(trx, group);
        return projectBatch(inReadModelSchema(trx, schema), group, position, batch);
      });
    }
    return position;
  }

  beforeAll(async () => {
    database = await createReadModelTestDatabase('projections');
    await migrateEventStore(database.url);
    store = new PostgresEventStore({ connectionString: database.url });
    const history = realisticHistory({ tasks: 30 });
    await appendHistory(store, history);
    streamIds = [...history.streamIds];
    const subscription = new RecordingSubscription(store);
    try {
      events = await subscription.waitFor(
        `${history.eventCount} events`,
        (received) => received.length >= history.eventCount,
      );
    } finally {
      await subscription.stop();
    }
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  test('batch by batch, or one event at a time in another schema, they equal the fold of the store', async () => {
    const position = await projectAll(apiProjections, 'api', 17);
    expect(position.eventsApplied).toBe(events.length);
    expect(position.checkpoint).toBe(events.at(-1)?.checkpoint);

    await createRebuildSchema(database.db);
    const oneByOne: ProjectionGroup = {
      name: apiProjections.name,
      projections: apiProjections.projections.map(({ name, handles, apply }) => ({
        name,
        handles,
        apply,
      })),
    };
    await projectAll(oneByOne, REBUILD_SCHEMA, 1);

    const expected = await foldedReadModels(store, streamIds);
    expect(await readModelSnapshot(database.db, 'api')).toEqual(expected);
    expect(await readModelSnapshot(database.db, REBUILD_SCHEMA)).toEqual(expected);
  });

  test('projecting every event again, in other batches, changes nothing', async () => {
    const before = await readModelSnapshot(database.db);
    await sql`DELETE FROM api.projection_checkpoints`.execute(database.db);
    await projectAll(apiProjections, 'api', 100);
    expect(await readModelSnapshot(database.db)).toEqual(before);
  });

  test('a batch is refused, with nothing written, when the stored position is not the expected one', async () => {
    const before = await readModelSnapshot(database.db);
    await expect(projectAll(apiProjections, 'api', 50, startOfEventStore)).rejects.toThrow(
      /expected to continue after event 0/,
    );
    expect(await readModelSnapshot(database.db)).toEqual(before);
  });
});
