import 'reflect-metadata';
import type { NatsConnection } from '@nats-io/transport-node';
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { openEventStore } from '@canopy/event-store';
import type { EventStoreSelection } from '@canopy/event-store';
import { NodeRegistry, TaskQueue } from '@canopy/scheduling';
import type { ServiceLogger } from '@canopy/service-runtime';
import { Dispatcher } from './dispatch/dispatcher.js';
import { NatsNodeChannel } from './dispatch/node-channel.js';
import { TaskEventFeed } from './dispatch/task-event-feed.js';
import { FunctionCatalog } from './functions/function-catalog.js';
import { IssueTaskService } from './issuing/issue-task-service.js';
import { NodeReports } from './nodes/node-reports.js';
import { NodeStreamWriter } from './nodes/node-stream-writer.js';
import type { SchedulerConfig } from './scheduler-config.js';
import { SchedulerModule } from './scheduler.module.js';
import { TaskCommandHandler } from './tasks/task-command-handler.js';
import { InFlightWork } from './transport/in-flight-work.js';
import { NestPinoLogger } from './transport/nest-pino-logger.js';
import { JsonReplySerializer, RawMessageDeserializer } from './transport/raw-json-transport.js';

export type { SchedulerConfig } from './scheduler-config.js';
export { schedulerConfigSchema } from './scheduler-config.js';

export interface RunningScheduler {
  /** Stops matching, finishes the requests in flight, drains NATS, closes the event store. Idempotent. */
  stop(): Promise<void>;
}

// The node enforces a task's timeout itself and reports its own 504; the scheduler's TIMEOUT is for
// nodes that hang, so it fires a little later.
const RUN_TIMEOUT_GRACE_MS = 1_000;
const DISPATCH_TICK_MS = 100;
const REBUILD_QUIET_MS = 300;
const SUBSCRIPTION_RETRY_MS = 1_000;

/**
 * Starts the scheduler in this process: event store (migrated), NATS transport (its handlers
 * subscribed before this resolves), the task event feed that rebuilds the scheduling state, and the
 * matching loop.
 */
export async function startScheduler(
  config: SchedulerConfig,
  logger: ServiceLogger,
): Promise<RunningScheduler> {
  const store = await openEventStore(eventStoreSelection(config));
  const clock = () => new Date();
  const registry = new NodeRegistry({ heartbeatTimeoutMs: config.SCHEDULER_HEARTBEAT_TIMEOUT_MS });
  const queue = new TaskQueue(registry, {
    offerTimeoutMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
    offerCooldownMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
    runTimeoutGraceMs: RUN_TIMEOUT_GRACE_MS,
    deadlineRetryMs: Math.max(config.SCHEDULER_OFFER_TIMEOUT_MS, 1_000),
  });
  const work = new InFlightWork((error) =>
    logger.error({ err: error }, 'background work failed unexpectedly'),
  );
  const channel = new NatsNodeChannel(logger);
  const catalog = new FunctionCatalog(store);
  const nodeStreams = new NodeStreamWriter(store);
  const wake = () => dispatcher.wake();
  const commands = new TaskCommandHandler({
    store,
    clock,
    onAppended: (appended) => {
      const nowMs = clock().getTime();
      for (const { event, streamVersion } of appended) queue.apply(event, streamVersion, nowMs);
      wake();
    },
  });
  const feed = new TaskEventFeed({
    store,
    queue,
    clock,
    logger,
    onApplied: wake,
    quietMs: REBUILD_QUIET_MS,
    retryMs: SUBSCRIPTION_RETRY_MS,
  });
  const stateRebuilt = () => feed.caughtUp;
  const dispatcher: Dispatcher = new Dispatcher({
    registry,
    queue,
    commands,
    catalog,
    channel,
    nodeStreams,
    work,
    clock,
    logger,
    offerTimeoutMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
    stateRebuilt,
    tickMs: DISPATCH_TICK_MS,
  });
  const issuing = new IssueTaskService(
    catalog,
    commands,
    {
      maxAttempts: config.SCHEDULER_MAX_ATTEMPTS,
      pendingDeadlineSeconds: config.SCHEDULER_PENDING_DEADLINE_SECONDS,
    },
    logger,
  );
  const nodes = new NodeReports({
    registry,
    queue,
    commands,
    nodeStreams,
    channel,
    heartbeatIntervalMs: config.SCHEDULER_HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: config.SCHEDULER_HEARTBEAT_TIMEOUT_MS,
    clock,
    logger,
    stateRebuilt,
    wake,
  });

  let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>> | undefined;
  try {
    app = await NestFactory.createMicroservice<MicroserviceOptions>(
      SchedulerModule.with({ issuing, nodes, work }),
      {
        transport: Transport.NATS,
        options: {
          servers: config.NATS_URL.split(',').map((server) => server.trim()),
          name: 'canopy-scheduler',
          maxReconnectAttempts: -1,
          serializer: new JsonReplySerializer(),
          deserializer: new RawMessageDeserializer(),
        },
        logger: new NestPinoLogger(logger),
      },
    );
    await app.listen();
  } catch (error) {
    await app?.close().catch(() => undefined);
    await store.close();
    throw error;
  }
  const connection = app.unwrap<NatsConnection>();
  // The subscriptions are registered at the server once it answers: from now on nothing is missed.
  await connection.flush();
  channel.attach(connection);
  feed.start();
  dispatcher.start();
  logger.info(
    {
      maxAttempts: config.SCHEDULER_MAX_ATTEMPTS,
      pendingDeadlineSeconds: config.SCHEDULER_PENDING_DEADLINE_SECONDS,
      heartbeatIntervalMs: config.SCHEDULER_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: config.SCHEDULER_HEARTBEAT_TIMEOUT_MS,
      offerTimeoutMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
      eventStore: config.EVENT_STORE,
    },
    'scheduler started',
  );

  const running = app;
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    dispatcher.stop();
    await feed.stop();
    // Requests in flight finish and reply; new ones are answered "unavailable, retry".
    await work.close();
    await connection.drain().catch((error: unknown) => {
      logger.warn({ reason: String(error) }, 'draining the NATS connection failed');
    });
    await running.close();
    await store.close();
  };
  return {
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

function eventStoreSelection(config: SchedulerConfig): EventStoreSelection {
  switch (config.EVENT_STORE) {
    case 'postgres':
      return { kind: 'postgres', connectionString: config.DATABASE_URL };
    case 'eventstoredb': {
      // The configuration schema requires it for this store.
      if (config.EVENTSTORE_URL === undefined) throw new Error('EVENTSTORE_URL is not set');
      return { kind: 'eventstoredb', connectionString: config.EVENTSTORE_URL };
    }
    default: {
      const unknown: never = config.EVENT_STORE;
      throw new Error(`unknown event store ${String(unknown)}`);
    }
  }
}
