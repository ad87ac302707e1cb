import { randomBytes } from 'node:crypto';
import {
  CANCEL_TASK_SUBJECT,
  ISSUE_TASK_BATCH_SUBJECT,
  ISSUE_TASK_SUBJECT,
  parseCancelTaskReply,
  decodeJson,
  functionEvent,
  functionStreamId,
  parseIssueTaskBatchReply,
  parseIssueTaskReply,
  parseNodeEvent,
  parseTaskEvent,
  taskStreamId,
  nodeStreamId,
} from '@canopy/contracts';
import type {
  CancelTaskReply,
  FunctionCapabilities,
  IssueTaskBatchReply,
  IssueTaskBatchRequest,
  IssueTaskReply,
  IssueTaskRequest,
  NodeEvent,
  RetryPolicy,
  RuntimeSpec,
  TaskEvent,
} from '@canopy/contracts';
import {
  exampleFunctionDefinition,
  exampleFunctionRegisteredData,
  modestCapabilities,
} from '@canopy/contracts/testing';
import { toNewEvents } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import { createTestDatabase } from '@canopy/local-services/testing';
import type { TestDatabase } from '@canopy/local-services/testing';
import { createServiceLogger, readConfig } from '@canopy/service-runtime';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/transport-node';
import { schedulerConfigSchema } from '../scheduler-config.js';
import type { SchedulerConfig } from '../scheduler-config.js';
import { startScheduler } from '../scheduler.js';
import type { RunningScheduler, SchedulerExtensions } from '../scheduler.js';

export const objectId = (): string => randomBytes(12).toString('hex');

/** Timings short enough for tests; everything else as configured by default. */
const testSettings = {
  SCHEDULER_HEARTBEAT_INTERVAL_MS: '200',
  SCHEDULER_HEARTBEAT_TIMEOUT_MS: '1200',
  SCHEDULER_OFFER_TIMEOUT_MS: '1000',
};

/**
 * One scheduler on its own database, started in-process as the CLI does, with a NATS client for the
 * test (the gateway's side) and an event store on the same database for setting up and asserting.
 */
export class SchedulerFixture {
  private scheduler: RunningScheduler | undefined;
  private readonly replicas: RunningScheduler[] = [];

  private constructor(
    readonly config: SchedulerConfig,
    readonly database: TestDatabase,
    readonly store: EventStore,
    readonly client: NatsConnection,
    private readonly extensions: SchedulerExtensions,
  ) {}

  static async start(
    natsUrl: string,
    settings: Record<string, string> = {},
    extensions: SchedulerExtensions = {},
  ): Promise<SchedulerFixture> {
    const database = await createTestDatabase('scheduler');
    const config = readConfig(schedulerConfigSchema, {
      DATABASE_URL: database.url,
      NATS_URL: natsUrl,
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      ...testSettings,
      ...settings,
    });
    await migrateEventStore(database.url);
    const store = new PostgresEventStore({ connectionString: database.url });
    const client = await connect({ servers: natsUrl, name: 'scheduler test client' });
    const fixture = new SchedulerFixture(config, database, store, client, extensions);
    await fixture.startScheduler();
    return fixture;
  }

  /** The running scheduler's admin listener, when its configuration sets ADMIN_PORT. */
  get adminUrl(): string | undefined {
    return this.scheduler?.adminUrl;
  }

  async startScheduler(): Promise<void> {
    this.scheduler = await startScheduler(
      this.config,
      createServiceLogger('scheduler', this.config.LOG_LEVEL),
      this.extensions,
    );
  }

  async stopScheduler(): Promise<void> {
    await this.scheduler?.stop();
    this.scheduler = undefined;
  }

  /**
   * Starts another replica on the same database and NATS, with `overrides` to this one's
   * configuration (a standby while this one leads); stopped on close.
   */
  async startReplica(overrides: Partial<SchedulerConfig> = {}): Promise<RunningScheduler> {
    const config = { ...this.config, ...overrides };
    const replica = await startScheduler(
      config,
      createServiceLogger('scheduler-replica', config.LOG_LEVEL),
      this.extensions,
    );
    this.replicas.push(replica);
    return replica;
  }

  /**
   * Another replica takes the lease, with a long expiry (as after this one was paused past it): this
   * scheduler learns it at its next renewal, or at its next fenced append.
   */
  async giveLeaseToAnother(): Promise<void> {
    const admin = new pg.Pool({ connectionString: this.database.url, max: 1 });
    try {
      await admin.query(
        `UPDATE leadership.leases
            SET epoch = epoch + 1, holder = 'another replica',
                acquired_at = clock_timestamp(), expires_at = clock_timestamp() + interval '1 hour'
          WHERE name = 'scheduler'`,
      );
    } finally {
      await admin.end();
    }
  }

  /** Records a function the way the gateway does, straight into the event store. */
  async registerFunction(
    capabilities: Partial<FunctionCapabilities> = {},
    accountId = objectId(),
    runtime: RuntimeSpec = exampleFunctionDefinition.runtime,
  ): Promise<{ functionId: string; accountId: string; runtime: RuntimeSpec }> {
    const functionId = objectId();
    const streamId = functionStreamId(functionId);
    const event = functionEvent(
      'FunctionRegistered',
      exampleFunctionRegisteredData({
        functionId,
        accountId,
        capabilities: { ...modestCapabilities, ...capabilities },
        runtime,
        registeredAt: new Date().toISOString(),
      }),
    );
    await this.store.appendToStream(streamId, toNewEvents(streamId, 0, [event]), {
      expectedVersion: 'no_stream',
    });
    return { functionId, accountId, runtime };
  }

  /**
   * Appends the function's next version the way the gateway's PATCH does: `version` is the one it
   * makes, the others as registered by {@link registerFunction} unless given.
   */
  async changeFunction(
    fn: { functionId: string; accountId: string },
    version: number,
    changes: {
      capabilities?: Partial<FunctionCapabilities>;
      runtime?: RuntimeSpec;
      retry?: RetryPolicy;
      priority?: number;
    },
  ): Promise<void> {
    const streamId = functionStreamId(fn.functionId);
    const event = functionEvent('FunctionChanged', {
      functionId: fn.functionId,
      accountId: fn.accountId,
      version,
      description: exampleFunctionDefinition.description,
      capabilities: { ...modestCapabilities, ...changes.capabilities },
      runtime: changes.runtime ?? exampleFunctionDefinition.runtime,
      retry: changes.retry ?? null,
      priority: changes.priority ?? null,
      changedAt: new Date().toISOString(),
    });
    await this.store.appendToStream(streamId, toNewEvents(streamId, version - 1, [event]), {
      expectedVersion: version - 1,
    });
  }

  /** Appends FunctionDeleted at the function's stream version `streamVersion`. */
  async deleteFunction(
    fn: { functionId: string; accountId: string },
    streamVersion: number,
  ): Promise<void> {
    const streamId = functionStreamId(fn.functionId);
    const event = functionEvent('FunctionDeleted', {
      functionId: fn.functionId,
      accountId: fn.accountId,
      version: streamVersion,
      deletedAt: new Date().toISOString(),
    });
    await this.store.appendToStream(streamId, toNewEvents(streamId, streamVersion, [event]), {
      expectedVersion: streamVersion,
    });
  }

  issueRequest(
    fn: { functionId: string; accountId: string },
    overrides: Partial<IssueTaskRequest> = {},
  ): IssueTaskRequest {
    return {
      taskId: objectId(),
      accountId: fn.accountId,
      functionId: fn.functionId,
      scheduleId: null,
      request: {
        query: 'name=canopy',
        contentType: 'application/json',
        body: Buffer.from('{"a":1}').toString('base64'),
      },
      issuedAt: new Date().toISOString(),
      ...overrides,
    };
  }

  /** The gateway's request; `body` may be anything, for malformed-message tests. */
  async issue(body: IssueTaskRequest | string): Promise<IssueTaskReply> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const reply = await this.client.request(ISSUE_TASK_SUBJECT, payload, { timeout: 10_000 });
    return parseIssueTaskReply(decodeJson(reply.data, 'IssueTask reply'));
  }

  /** The gateway's CancelTask request; `body` may be anything, for malformed-message tests. */
  async cancel(body: { taskId: string; accountId: string } | string): Promise<CancelTaskReply> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const reply = await this.client.request(CANCEL_TASK_SUBJECT, payload, { timeout: 10_000 });
    return parseCancelTaskReply(decodeJson(reply.data, 'CancelTask reply'));
  }

  /** The gateway's batch request; `body` may be anything, for malformed-message tests. */
  async issueBatch(body: IssueTaskBatchRequest | string): Promise<IssueTaskBatchReply> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const reply = await this.client.request(ISSUE_TASK_BATCH_SUBJECT, payload, {
      timeout: 10_000,
    });
    return parseIssueTaskBatchReply(decodeJson(reply.data, 'IssueTaskBatch reply'));
  }

  async taskEvents(taskId: string): Promise<TaskEvent[]> {
    const recorded = await this.store.readStream(taskStreamId(taskId));
    return recorded.map((event) =>
      parseTaskEvent({ type: event.type, data: event.data, metadata: event.metadata }),
    );
  }

  async taskEventTypes(taskId: string): Promise<string[]> {
    return (await this.taskEvents(taskId)).map((event) => event.type);
  }

  async nodeEvents(nodeId: string): Promise<NodeEvent[]> {
    const recorded = await this.store.readStream(nodeStreamId(nodeId));
    return recorded.map((event) =>
      parseNodeEvent({ type: event.type, data: event.data, metadata: event.metadata }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.splice(0).map((replica) => replica.stop()));
    await this.stopScheduler();
    await this.client.drain().catch(() => undefined);
    await this.store.close();
    await this.database.drop();
  }
}
