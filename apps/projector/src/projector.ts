import { openEventStore, type EventStore, type RecordedEvent } from '@canopy/event-store';
import { createReadModelDb, migrateReadModels } from '@canopy/read-models';
import { apiProjections, readProjectionPosition } from '@canopy/read-models/projections';
import type { ProjectionPosition } from '@canopy/read-models/projections';
import { natsCredentialsOptions } from '@canopy/nats-auth';
import {
  eventStoreSelectionOf,
  natsConnectionBehaviour,
  natsServers,
  type ServiceLogger,
} from '@canopy/service-runtime';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openDatabasePool } from './database-pool.js';
import { LiveProjection, type ProjectorProgress } from './live-projection.js';
import type { ProjectorConfig } from './projector-config.js';
import { taskNotificationsOf } from './task-notifications.js';

export interface RunningProjector {
  /** Where the projector is and how far behind; see ProjectorProgress. */
  progress(): ProjectorProgress;
  /** Finishes the batch in progress, then drains NATS and closes the store and the pool. */
  stop(): Promise<void>;
}

/**
 * Runs the read-model and event-store migrations, then projects the event store into the `api`
 * read models until stopped, publishing a TaskNotification for each task that becomes terminal.
 */
export async function startProjector(
  config: ProjectorConfig,
  logger: ServiceLogger,
): Promise<RunningProjector> {
  const pool = openDatabasePool(config.DATABASE_URL, 'canopy-projector', logger);
  const db = createReadModelDb(pool);
  let store: EventStore | undefined;
  let nats: NatsConnection | undefined;
  try {
    await migrateReadModels(db);
    store = await openEventStore(eventStoreSelectionOf(config), { pool });
    nats = await connect({
      servers: natsServers(config.NATS_URL),
      name: 'canopy-projector',
      ...natsConnectionBehaviour,
      ...(await natsCredentialsOptions(config.NATS_CREDS)),
    });
  } catch (error) {
    await nats?.close();
    await store?.close();
    await db.destroy();
    await pool.end();
    throw error;
  }
  const connection = nats;
  const projection = new LiveProjection({
    db,
    store,
    group: apiProjections,
    batchSize: config.PROJECTOR_BATCH_SIZE,
    lagLogIntervalMs: config.PROJECTOR_LAG_LOG_SECONDS * 1000,
    logger,
    onCommitted: (events) => notifyTerminalTasks(connection, events, logger),
  });
  projection.start();
  logger.info(
    { eventStore: config.EVENT_STORE, batchSize: config.PROJECTOR_BATCH_SIZE },
    'projector started',
  );

  const openStore = store;
  let stopped: Promise<void> | undefined;
  return {
    progress: () => projection.progress(),
    stop() {
      stopped ??= (async () => {
        await projection.stop();
        await connection.drain().catch((error: unknown) => {
          logger.warn({ reason: String(error) }, 'draining the NATS connection failed');
        });
        await openStore.close();
        await db.destroy();
        await pool.end();
      })();
      return stopped;
    },
  };
}

function notifyTerminalTasks(
  nats: NatsConnection,
  events: readonly RecordedEvent[],
  logger: ServiceLogger,
): void {
  try {
    for (const { subject, notification } of taskNotificationsOf(events)) {
      nats.publish(subject, JSON.stringify(notification));
      logger.debug({ taskId: notification.taskId, state: notification.state }, 'task notified');
    }
  } catch (error) {
    // A lost notification delays a waiting request until its own deadline; it loses no data.
    logger.warn({ reason: String(error) }, 'publishing task notifications failed');
  }
}

/**
 * The projector's stored position, read from another process (the CLI, a benchmark): the number
 * of events applied is comparable with the number of events in the store.
 */
export async function readProjectorPosition(databaseUrl: string): Promise<ProjectionPosition> {
  const db = createReadModelDb(databaseUrl);
  try {
    return await readProjectionPosition(db, apiProjections.name);
  } finally {
    await db.destroy();
  }
}
