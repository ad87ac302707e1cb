import { eventually } from '@canopy/async-testing';
import type { EventStore } from '@canopy/event-store';
import type { ReadModelDatabase } from '@canopy/read-models';
import { apiProjections } from '@canopy/read-models/projections';
import { ConstantBackoff } from 'cockatiel';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { LiveProjection } from './live-projection.js';

// A database that refuses every query: the projection fails before it reads the store.
const unreachable = {
  selectFrom: () => {
    throw new Error('the database is unreachable');
  },
} as unknown as Kysely<ReadModelDatabase>;

describe('LiveProjection', () => {
  test('stops at once while it waits to try a failed batch again', async () => {
    const projection = new LiveProjection({
      db: unreachable,
      store: {} as EventStore,
      group: apiProjections,
      batchSize: 10,
      lingerMs: 0,
      lagLogIntervalMs: 60_000,
      logger: pino({ level: 'silent' }),
      onCommitted: () => undefined,
      // An hour: only an aborted wait lets stop() return within the test's time.
      retryBackoff: new ConstantBackoff(3_600_000),
    });
    projection.start();
    await eventually(() =>
      expect(projection.progress().failure).toBe('the database is unreachable'),
    );

    await projection.stop();
    expect(projection.progress()).toMatchObject({ behind: true, lastBatchAt: null });
  });
});
