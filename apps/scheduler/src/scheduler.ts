import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { observedEventStore, openEventStore } from '@canopy/event-store';
import {
  EventStoreMetrics,
  ServiceMetrics,
  conditionCheck,
  databaseCheck,
  startAdminServer,
} from '@canopy/observability';
import type { RunningAdminServer } from '@canopy/observability';
import { Leadership, PostgresLeases, migrateLeadership } from '@canopy/leadership';
import { NodeRegistry } from '@canopy/scheduling';
import pg from 'pg';
import {
  loadNatsAuthority,
  openNodeCredentialRevocations,
  serviceConnectionOptions,
} from '@canopy/nats-auth';
import {
  NestLogger,
  eventStoreSelectionOf,
  natsServers,
  natsServersForLog,
  sayWhileWaiting,
} from '@canopy/service-runtime';
import type { ServiceLogger } from '@canopy/service-runtime';
import { NatsLink } from './availability/nats-link.js';
import { StoreHealth } from './availability/store-health.js';
import { CancelTaskService } from './cancelling/cancel-task-service.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { NatsNodeChannel } from './dispatch/node-channel.js';
import { TaskEventFeed } from './dispatch/task-event-feed.js';
import { FunctionChanges } from './functions/function-changes.js';
import { FunctionDefinitions } from './functions/function-definitions.js';
import { AccountCountingTaskQueue, AccountQuota } from './issuing/account-quota.js';
import { IssueTaskService } from './issuing/issue-task-service.js';
import { LeaderHandOff } from './issuing/leader-hand-off.js';
import { NodeReports } from './nodes/node-reports.js';
import { RevocationPublisher, noNodeCredentialRevoker } from './nodes/node-credential-revoker.js';
import type { NodeCredentialRevoker } from './nodes/node-credential-revoker.js';
import { DisabledNodes, NodeRegistrationFeed } from './nodes/node-registration-feed.js';
import { NodePresenceRecorder } from './nodes/node-presence.js';
import { SchedulerMetrics } from './observability/scheduler-metrics.js';
import type { SchedulerConfig } from './scheduler-config.js';
import { SchedulerModule } from './scheduler.module.js';
import { ScheduleFiring } from './schedules/schedule-firing.js';
import { TaskCommands } from './tasks/task-commands.js';
import { TaskOutcomeNotices } from './tasks/task-outcome-notices.js';
import { InFlightWork } from './transport/in-flight-work.js';
import {
  JsonReplySerializer,
  RawMessageDeserializer,
  SubjectRoutedNatsServer,
} from './transport/raw-json-transport.js';
import { RpcReplyFilter } from './transport/rpc-reply-filter.js';

export type { SchedulerConfig } from './scheduler-config.js';
export { schedulerConfigSchema } from './scheduler-config.js';
export type { NodeCredentialRevoker } from './nodes/node-credential-revoker.js';

/** What the caller may plug into the scheduler. */
export interface SchedulerExtensions {
  /** Revokes disabled nodes' NATS credentials; by default nothing is revoked (no NATS authority). */
  readonly nodeCredentialRevoker?: NodeCredentialRevoker;
}

export interface RunningScheduler {
  /** The admin listener's URL (/metrics, /healthz, /readyz); undefined without ADMIN_PORT. */
  readonly adminUrl: string | undefined;
  /** Stops matching, finishes the requests in flight, drains NATS, closes the event store. Idempotent. */
  stop(): Promise<void>;
}

// The node enforces a task's timeout itself and reports its own 504; the scheduler's TIMEOUT is for
// nodes that hang, so it fires a little later.
const RUN_TIMEOUT_GRACE_MS = 1_000;
const DISPATCH_TICK_MS = 100;
const SUBSCRIPTION_RETRY_MS = 1_000;
const STORE_PROBE_MS = 250;

/**
 * Starts the scheduler in this process: event store (migrated), NATS transport (its handlers
 * subscribed before this resolves), the task event feed that rebuilds the scheduling state, and the
 * matching loop.
 */
export async function startScheduler(
  config: SchedulerConfig,
  logger: ServiceLogger,
  extensions: SchedulerExtensions = {},
): Promise<RunningScheduler> {
  // With the NATS authority, disabled nodes' users are revoked at the server too, over a system
  // account connection of the scheduler's own.
  const ownRevocations =
    extensions.nodeCredentialRevoker === undefined && config.NATS_AUTHORITY_FILE !== undefined
      ? await sayWhileWaiting(
          openNodeCredentialRevocations({
            servers: natsServers(config.NATS_URL),
            authority: await loadNatsAuthority(config.NATS_AUTHORITY_FILE),
            name: 'canopy-scheduler-revocations',
          }),
          logger,
          `NATS at ${natsServersForLog(config.NATS_URL)} (system account)`,
        )
      : undefined;
  const metrics = new ServiceMetrics('scheduler');
  const appendMetrics = new EventStoreMetrics(metrics.registry);
  const leasePool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  leasePool.on('error', () => undefined);
  const leases = new PostgresLeases(leasePool);
  const store = observedEventStore(
    await openEventStore(eventStoreSelectionOf(config), {
      // On PostgreSQL the store checks the lease in the append's own transaction.
      fenceHolds: (fence) => leases.holds(fence.lease, fence.epoch),
      ownCommitsReadDelayMs: config.SCHEDULER_OWN_COMMITS_READ_DELAY_MS,
    }).catch(async (error: unknown) => {
      await leasePool.end();
      await ownRevocations?.close();
      throw error;
    }),
    appendMetrics,
  );
  try {
    await migrateLeadership(config.DATABASE_URL);
  } catch (error) {
    await leasePool.end();
    await store.close();
    await ownRevocations?.close();
    throw error;
  }
  const clock = () => new Date();
  const monotonic = () => performance.now();
  const registry = new NodeRegistry({ heartbeatTimeoutMs: config.SCHEDULER_HEARTBEAT_TIMEOUT_MS });
  const queue = new AccountCountingTaskQueue(registry, {
    offerTimeoutMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
    offerCooldownMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
    runTimeoutGraceMs: RUN_TIMEOUT_GRACE_MS,
    deadlineRetryMs: Math.max(config.SCHEDULER_OFFER_TIMEOUT_MS, 1_000),
    priorityAgingMs: config.SCHEDULER_PRIORITY_AGING_SECONDS * 1000,
  });
  const work = new InFlightWork((error) =>
    logger.error({ err: error }, 'background work failed unexpectedly'),
  );
  const channel = new NatsNodeChannel(logger);
  const functions = new FunctionDefinitions({ store, logger, retryMs: SUBSCRIPTION_RETRY_MS });
  const outcomes = new TaskOutcomeNotices(logger, (taskId) => queue.accountOf(taskId));
  const presence = new NodePresenceRecorder(store);
  const disabledNodes = new DisabledNodes();
  const isDisabled = (nodeId: string) => disabledNodes.has(nodeId);
  const revocations = new RevocationPublisher(
    extensions.nodeCredentialRevoker ?? ownRevocations?.revocations ?? noNodeCredentialRevoker,
    logger,
  );
  const registrations = new NodeRegistrationFeed({
    store,
    disabledNodes,
    logger,
    onDisabled: (nodeId) => {
      // No new work; what it runs is unassigned (NODE_DISABLED) and requeued by the dispatcher.
      const departed = registry.leave(nodeId);
      queue.nodeGone(nodeId, clock().getTime());
      logger.info({ nodeId, tasksToRequeue: departed?.taskIds.length ?? 0 }, 'node disabled');
      wake();
    },
    onEnabled: (nodeId) => logger.info({ nodeId }, 'node enabled; it may announce again'),
    onRevocationsChanged: (revoked) => revocations.publish(revoked),
    onCurrent: () => wake(),
    retryMs: SUBSCRIPTION_RETRY_MS,
  });
  const wake = () => dispatcher.wake();
  // Whatever the platform could not do while it was away (its database, NATS, its leader) does not
  // count against the tasks, and no node is lost for silence it could not help.
  const forgiveOutage = (outageMs: number) => {
    const nowMs = clock().getTime();
    queue.forgiveOutage(outageMs, nowMs, config.SCHEDULER_OUTAGE_GRACE_MS);
    registry.extendAll(nowMs + config.SCHEDULER_HEARTBEAT_TIMEOUT_MS);
    wake();
  };
  const storeHealth = new StoreHealth({
    store,
    logger,
    probeEveryMs: STORE_PROBE_MS,
    now: monotonic,
    onRecovered: (outageMs) => {
      // Appends that failed in the outage may have been recorded all the same.
      resync();
      forgiveOutage(outageMs);
    },
  });
  const natsLink = new NatsLink(logger, monotonic, forgiveOutage);
  const availability = {
    get available() {
      return storeHealth.available && natsLink.connected;
    },
    observe: (error: unknown) => storeHealth.observe(error),
  };
  const leadership: Leadership = new Leadership({
    leases,
    name: 'scheduler',
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    ttlMs: config.SCHEDULER_LEASE_TTL_MS,
    logger,
    onChange: (role) => {
      handOff.leadershipChanged();
      functionChanges.leadershipChanged();
      if (role.role !== 'leader') return;
      // The replica before may have recorded what this one's subscription has not brought yet.
      resync();
      // The lease was vacant for up to its time to live before this replica took it.
      forgiveOutage(config.SCHEDULER_LEASE_TTL_MS);
      firing.armAll();
    },
  });
  const commands = new TaskCommands({
    store,
    clock,
    lease: leadership.name,
    correlationOf: (taskId) => queue.issuedMetadataOf(taskId)?.correlationId,
    onAppended: (appended) => {
      schedulerMetrics.recorded(appended, queue);
      // Before the queue forgets an ended task: the notices name its account.
      outcomes.recorded(appended);
      const nowMs = clock().getTime();
      for (const { event, streamVersion } of appended) queue.apply(event, streamVersion, nowMs);
      wake();
    },
  });
  const schedulerMetrics = new SchedulerMetrics(metrics.registry, {
    queue,
    registry,
    isLeader: () => leadership.isLeader,
  });
  const feed = new TaskEventFeed({
    store,
    queue,
    commands,
    clock,
    logger,
    onApplied: wake,
    retryMs: SUBSCRIPTION_RETRY_MS,
  });
  const stateRebuilt = () => feed.caughtUp && registrations.caughtUp;
  // What the leader acts on: caught up again each time it took the lease or the store came back.
  const stateCurrent = () => feed.current && registrations.current;
  const resync = () => {
    feed.resync();
    registrations.resync();
  };
  const dispatcher: Dispatcher = new Dispatcher({
    registry,
    queue,
    commands,
    functions,
    channel,
    presence,
    work,
    clock,
    logger,
    offerTimeoutMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
    stateCurrent,
    tickMs: DISPATCH_TICK_MS,
    isDisabled,
    leadership,
    health: availability,
    onOfferSettled: (outcome) => schedulerMetrics.offerSettled(outcome),
  });
  const issuing = new IssueTaskService(
    functions,
    commands,
    {
      maxAttempts: config.SCHEDULER_MAX_ATTEMPTS,
      pendingDeadlineSeconds: config.SCHEDULER_PENDING_DEADLINE_SECONDS,
    },
    logger,
    new AccountQuota(queue, config.MAX_WAITING_TASKS_PER_ACCOUNT),
    queue,
    dispatcher,
  );
  const handOff = new LeaderHandOff({
    issuing,
    work,
    logger,
    isLeader: () => leadership.isLeader,
    timeoutMs: config.SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS,
    registry: metrics.registry,
  });
  const functionChanges = new FunctionChanges({
    functions,
    work,
    logger,
    isLeader: () => leadership.isLeader,
  });
  // Schedules' ticks issue their tasks through the same handler as the gateway's requests.
  const firing = new ScheduleFiring({
    store,
    issue: (payload, origin) => issuing.issue(payload, origin),
    work,
    clock,
    logger,
    missedTickGraceMs: config.SCHEDULER_MISSED_TICK_GRACE_SECONDS * 1000,
    retryMs: SUBSCRIPTION_RETRY_MS,
    isLeader: () => leadership.isLeader,
  });
  const nodes = new NodeReports({
    registry,
    queue,
    commands,
    presence,
    channel,
    heartbeatIntervalMs: config.SCHEDULER_HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: config.SCHEDULER_HEARTBEAT_TIMEOUT_MS,
    offerTimeoutMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
    clock,
    logger,
    stateCurrent,
    isLeader: () => leadership.isLeader,
    wake,
    isDisabled,
  });

  let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>> | undefined;
  try {
    app = await NestFactory.createMicroservice<MicroserviceOptions>(
      SchedulerModule.with({
        issuing,
        handOff,
        cancelling: new CancelTaskService(commands, channel, logger),
        nodes,
        work,
      }),
      {
        strategy: new SubjectRoutedNatsServer({
          ...(await serviceConnectionOptions('canopy-scheduler', config)),
          serializer: new JsonReplySerializer(),
          deserializer: new RawMessageDeserializer(),
        }),
        logger: new NestLogger(logger),
      },
    );
    app.useGlobalFilters(new RpcReplyFilter(logger));
    // Listening connects to NATS, waiting for a server that does not answer yet.
    await sayWhileWaiting(app.listen(), logger, `NATS at ${natsServersForLog(config.NATS_URL)}`);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await store.close();
    await ownRevocations?.close();
    throw error;
  }
  const connection = app.unwrap<NatsConnection>();
  // The subscriptions are registered at the server once it answers: from now on nothing is missed.
  await connection.flush();
  channel.attach(connection);
  outcomes.attach(connection);
  handOff.attach(connection);
  functionChanges.attach(connection);
  natsLink.watch(connection);
  metrics.nats.watch(connection);
  // Its own connection, so that a probe never waits behind the leases' queries.
  const probePool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: 1,
    connectionTimeoutMillis: 2_000,
  });
  probePool.on('error', () => undefined);
  metrics.readiness.add(
    databaseCheck(probePool),
    conditionCheck('event_store', () => storeHealth.available, 'the event store does not answer'),
    metrics.nats.readinessCheck(),
    conditionCheck('state', stateRebuilt, 'rebuilding the scheduling state from the event store'),
  );
  let admin: RunningAdminServer | undefined;
  if (config.ADMIN_PORT !== undefined) {
    try {
      admin = await startAdminServer({ metrics, port: config.ADMIN_PORT, host: config.ADMIN_HOST });
    } catch (error) {
      await connection.drain().catch(() => undefined);
      await app.close();
      await store.close();
      await leasePool.end();
      await probePool.end();
      await ownRevocations?.close();
      throw error;
    }
    logger.info({ url: admin.url }, 'admin listener: /metrics, /healthz, /readyz');
  }
  functions.start();
  registrations.start();
  feed.start();
  dispatcher.start();
  firing.start();
  leadership.start();
  logger.info(
    {
      maxAttempts: config.SCHEDULER_MAX_ATTEMPTS,
      pendingDeadlineSeconds: config.SCHEDULER_PENDING_DEADLINE_SECONDS,
      heartbeatIntervalMs: config.SCHEDULER_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: config.SCHEDULER_HEARTBEAT_TIMEOUT_MS,
      offerTimeoutMs: config.SCHEDULER_OFFER_TIMEOUT_MS,
      maxWaitingTasksPerAccount: config.MAX_WAITING_TASKS_PER_ACCOUNT,
      missedTickGraceSeconds: config.SCHEDULER_MISSED_TICK_GRACE_SECONDS,
      eventStore: config.EVENT_STORE,
    },
    'scheduler started',
  );

  const running = app;
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    // Given up first, so that a standby takes over while this one winds down.
    await leadership.stop();
    dispatcher.stop();
    await firing.stop();
    await functions.stop();
    await feed.stop();
    await registrations.stop();
    await revocations.stop();
    // Requests in flight finish and reply; new ones are answered "unavailable, retry".
    await work.close();
    await connection.drain().catch((error: unknown) => {
      logger.warn({ reason: String(error) }, 'draining the NATS connection failed');
    });
    await running.close();
    await storeHealth.stop();
    await admin?.stop();
    await store.close();
    await leasePool.end();
    await probePool.end();
    await ownRevocations?.close().catch((error: unknown) => {
      logger.warn({ reason: String(error) }, 'closing the revocations connection failed');
    });
  };
  return {
    adminUrl: admin?.url,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
