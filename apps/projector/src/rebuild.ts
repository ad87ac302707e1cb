import { openEventStore, type EventStore } from '@canopy/event-store';
import { createReadModelDb, migrateReadModels, type ReadModelDatabase } from '@canopy/read-models';
import {
  REBUILD_SCHEMA,
  RETIRED_SCHEMA,
  apiProjections,
  createRebuildSchema,
  dropRetiredReadModels,
  holdProjectorLock,
  inReadModelSchema,
  projectBatch,
  readProjectionPosition,
  releaseRebuildLock,
  startOfEventStore,
  swapInRebuiltReadModels,
  tryHoldRebuildLock,
  type ProjectionPosition,
  type RebuildBasis,
} from '@canopy/read-models/projections';
import { eventStoreSelectionOf, type ServiceLogger } from '@canopy/service-runtime';
import { handleWhen, retry } from 'cockatiel';
import { sql, type Kysely } from 'kysely';
import { EventFeed } from './event-feed.js';
import { openDatabasePool } from './database-pool.js';
import type { ProjectorConfig } from './projector-config.js';
import { projectorRetryBackoff } from './retry-backoff.js';

export interface RebuildReport {
  /** Events projected into the fresh read models (all of the live projector's, at the swap). */
  readonly eventsApplied: number;
  readonly checkpoint: string | null;
  /** Views outside `api` that were re-pointed at the fresh tables. */
  readonly views: readonly string[];
  readonly durationMs: number;
}

export type RebuildConfig = Pick<
  ProjectorConfig,
  'DATABASE_URL' | 'EVENT_STORE' | 'EVENTSTORE_URL' | 'PROJECTOR_BATCH_SIZE'
>;

// The swap waits this long for a lock (a batch of the live projector, a migration, an analyst's
// query on a view) before giving up and trying again, so it never queues readers behind it for long.
const SWAP_LOCK_TIMEOUT = '5s';
const SWAP_ATTEMPTS = 5;
const PROGRESS_LOG_INTERVAL_MS = 5_000;

/**
 * Rebuilds every `api` read model from the first event into fresh tables (schema `api_rebuild`),
 * with the projector's own projections, and swaps them in while the API keeps answering. The live
 * projector may run meanwhile: the rebuild catches up with it, pauses it for the swap (its lock),
 * and it then continues on the fresh tables from the same position. Run `canopy projector rebuild`.
 */
export async function rebuildReadModels(
  config: RebuildConfig,
  logger: ServiceLogger,
): Promise<RebuildReport> {
  const started = Date.now();
  const pool = openDatabasePool(config.DATABASE_URL, 'canopy-projector-rebuild', logger);
  const db = createReadModelDb(pool);
  let store: EventStore | undefined;
  try {
    await migrateReadModels(db);
    store = await openEventStore(eventStoreSelectionOf(config), { pool });
    const openStore = store;
    const outcome = await db.connection().execute(async (connection) => {
      if (!(await tryHoldRebuildLock(connection)))
        throw new Error('another rebuild of the read models is running');
      try {
        return await rebuild(connection, openStore, config.PROJECTOR_BATCH_SIZE, logger);
      } finally {
        await releaseRebuildLock(connection);
      }
    });
    const report = { ...outcome, durationMs: Date.now() - started };
    logger.info(report, 'read models rebuilt and swapped in');
    return report;
  } finally {
    await store?.close();
    await db.destroy();
    await pool.end();
  }
}

type Db = Kysely<ReadModelDatabase>;

async function rebuild(
  connection: Db,
  store: EventStore,
  batchSize: number,
  logger: ServiceLogger,
): Promise<Omit<RebuildReport, 'durationMs'>> {
  const group = apiProjections;
  const basis: RebuildBasis = await createRebuildSchema(connection);
  logger.info({ schema: REBUILD_SCHEMA, tables: basis.tables }, 'projecting from the first event');

  let position: ProjectionPosition = startOfEventStore;
  let feed = new EventFeed(store, null, batchSize);
  const apply = (events: Parameters<typeof projectBatch>[3]) =>
    connection
      .transaction()
      .execute((trx) =>
        projectBatch(inReadModelSchema(trx, REBUILD_SCHEMA), group, position, events),
      );
  let lastLog = Date.now();
  try {
    // Unhurried: catch up with the live projector, batch by batch, without pausing it.
    for (;;) {
      const live = await readProjectionPosition(connection, group.name);
      const gap = live.eventsApplied - position.eventsApplied;
      if (gap <= batchSize) break;
      position = await apply(await feed.take(Math.min(batchSize, gap)));
      if (Date.now() - lastLog >= PROGRESS_LOG_INTERVAL_MS) {
        lastLog = Date.now();
        logger.info(
          { eventsApplied: position.eventsApplied, liveEventsApplied: live.eventsApplied },
          'rebuilding the read models',
        );
      }
    }

    // In one short transaction: pause the live projector, take the last events up to exactly its
    // position (so it continues on the fresh tables as if nothing happened, notifications
    // included), and swap. Only a swap that waited too long for a lock is tried again.
    const swapRetry = retry(handleWhen(isLockTimeout), {
      maxAttempts: SWAP_ATTEMPTS - 1,
      backoff: projectorRetryBackoff,
    });
    swapRetry.onRetry(({ attempt, delay }) =>
      logger.warn({ attempt, retryInMs: delay }, 'the swap waited too long for a lock; retrying'),
    );
    const swapped = await swapRetry.execute(async ({ attempt }) => {
      if (attempt > 0) {
        // What the rolled-back transaction read from the feed is lost with it: read it again.
        await feed.close();
        feed = new EventFeed(store, position.checkpoint, batchSize);
      }
      return connection.transaction().execute(async (trx) => {
        await sql`SET LOCAL lock_timeout = ${sql.lit(SWAP_LOCK_TIMEOUT)}`.execute(trx);
        await holdProjectorLock(trx, group);
        const live = await readProjectionPosition(trx, group.name);
        const rebuilt = inReadModelSchema(trx, REBUILD_SCHEMA);
        let reached = position;
        while (reached.eventsApplied < live.eventsApplied) {
          const events = await feed.take(live.eventsApplied - reached.eventsApplied);
          reached = await projectBatch(rebuilt, group, reached, events);
        }
        const views = await swapInRebuiltReadModels(trx, basis);
        return { reached, views };
      });
    });
    logger.info(
      {
        eventsWhilePaused: swapped.reached.eventsApplied - position.eventsApplied,
        views: swapped.views,
      },
      'fresh read models swapped in; dropping the old ones once their last readers are done',
    );
    position = swapped.reached;
    // The swap has committed: failing to drop the old tables leaves them behind, nothing more.
    await dropRetiredReadModels(connection).catch((error: unknown) => {
      logger.warn(
        { err: error, schema: RETIRED_SCHEMA },
        'the replaced read models could not be dropped; the next rebuild drops them',
      );
    });
    return {
      eventsApplied: position.eventsApplied,
      checkpoint: position.checkpoint,
      views: swapped.views,
    };
  } finally {
    await feed.close();
  }
}

function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '55P03';
}
