import { openEventStore, type EventStore, type RecordedEvent } from '@canopy/event-store';
import { createReadModelDb, migrateReadModels } from '@canopy/read-models';
import { apiProjections, readProjectionPosition } from '@canopy/read-models/projections';
import type { ProjectionPosition } from '@canopy/read-models/projections';
import { serviceConnectionOptions } from '@canopy/nats-auth';
import {
  eventStoreSelectionOf,
  natsServersForLog,
  sayWhileWaiting,
  type ServiceLogger,
} from '@canopy/service-runtime';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  ServiceMetrics,
  conditionCheck,
  databaseCheck,
  startAdminServer,
  type ReadinessCheck,
  type RunningAdminServer,
} from '@canopy/observability';
import { openDatabasePool } from './database-pool.js';
import { PostgresProjectorLag } from './observability/projector-lag.js';
import { ProjectorMetrics } from './observability/projector-metrics.js';
import { traceProjectedBatch } from './observability/projection-spans.js';
import { LiveProjection, type ProjectorProgress } from './live-projection.js';
import type { ProjectorConfig } from './projector-config.js';
import { taskNotificationsOf } from './task-notifications.js';

export interface RunningProjector {
  /** The admin listener's URL (/metrics, /healthz, /readyz); undefined without ADMIN_PORT. */
  readonly adminUrl: string | undefined;
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
    nats = await sayWhileWaiting(
      connect(await serviceConnectionOptions('canopy-projector', config)),
      logger,
      `NATS at ${natsServersForLog(config.NATS_URL)}`,
    );
  } catch (error) {
    await nats?.close();
    await store?.close();
    await db.destroy();
    await pool.end();
    throw error;
  }
  const connection = nats;
  const metrics = new ServiceMetrics('projector');
  metrics.nats.watch(connection);
  const lag: PostgresProjectorLag | undefined =
    config.EVENT_STORE === 'postgres'
      ? new PostgresProjectorLag(
          pool,
          (): string | null => projection.progress().position.checkpoint,
        )
      : undefined;
  const projectorMetrics = new ProjectorMetrics(metrics.registry, lag && (() => lag.measure()));
  const projection: LiveProjection = new LiveProjection({
    db,
    store,
    group: apiProjections,
    batchSize: config.PROJECTOR_BATCH_SIZE,
    lingerMs: config.PROJECTOR_LINGER_MS,
    lagLogIntervalMs: config.PROJECTOR_LAG_LOG_SECONDS * 1000,
    logger,
    onCommitted: (events, startedAtMs) => {
      traceProjectedBatch(events, startedAtMs, Date.now());
      notifyTerminalTasks(connection, events, logger);
    },
    observer: projectorMetrics,
  });
  metrics.readiness.add(
    databaseCheck(pool),
    metrics.nats.readinessCheck(),
    caughtUpCheck(lag, () => projection.progress(), config.PROJECTOR_READY_LAG_SECONDS),
  );
  let admin: RunningAdminServer | undefined;
  if (config.ADMIN_PORT !== undefined) {
    try {
      admin = await startAdminServer({ metrics, port: config.ADMIN_PORT, host: config.ADMIN_HOST });
    } catch (error) {
      await connection.close();
      await store.close();
      await db.destroy();
      await pool.end();
      throw error;
    }
    logger.info({ url: admin.url }, 'admin listener: /metrics, /healthz, /readyz');
  }
  projection.start();
  logger.info(
    { eventStore: config.EVENT_STORE, batchSize: config.PROJECTOR_BATCH_SIZE },
    'projector started',
  );

  const openStore = store;
  let stopped: Promise<void> | undefined;
  return {
    adminUrl: admin?.url,
    progress: () => projection.progress(),
    stop() {
      stopped ??= (async () => {
        await projection.stop();
        await admin?.stop();
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

/**
 * Caught up: the oldest event not yet projected is at most `maxLagSeconds` old (PostgreSQL), or,
 * where the store cannot say, the last batch was not full and did not fail.
 */
function caughtUpCheck(
  lag: PostgresProjectorLag | undefined,
  progress: () => ProjectorProgress,
  maxLagSeconds: number,
): ReadinessCheck {
  if (lag === undefined)
    return conditionCheck(
      'caught_up',
      () => !progress().behind,
      () => progress().failure ?? 'behind the event store',
    );
  return {
    name: 'caught_up',
    check: async () => {
      const { events, seconds } = await lag.measure();
      if (seconds > maxLagSeconds)
        throw new Error(
          `${events} events behind, the oldest ${Math.round(seconds)} s old (threshold ${maxLagSeconds} s)`,
        );
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
