import {
  ISSUE_TASK_BATCH_SUBJECT,
  ISSUE_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
  accountStreamId,
  decodeJson,
  functionStreamId,
  parseIssueTaskBatchRequest,
  parseIssueTaskRequest,
  taskCommand,
  taskStreamId,
} from '@canopy/contracts';
import type { IssueTaskReply, IssueTaskRequest, TaskCommand } from '@canopy/contracts';
import { definitionFor } from '@canopy/function-domain';
import { PostgresEventStore } from '@canopy/event-store/postgres';
import { createTestDatabase, startPrivateNats } from '@canopy/local-services/testing';
import { createReadModelDb } from '@canopy/read-models';
import type { ReadModelDatabase } from '@canopy/read-models';
import { createServiceLogger, readConfig } from '@canopy/service-runtime';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { generateApiKey, newObjectId, newSigningKeySet } from '@canopy/identity';
import { gatewayConfigSchema } from '../config/gateway-config.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { aggregatesOn } from '../events/aggregates.js';
import type { Aggregates } from '../events/aggregates.js';
import { startGateway } from '../gateway.js';
import type { GatewayExtensions, RunningGateway } from '../gateway.js';

// An in-process gateway on a fresh database, with what its tests need around it: accounts, a NATS
// connection, the event store and the read models. The gateway's NATS server is a private
// nats-server on a free port: ISSUE_TASK_SUBJECT is one fixed subject, and on the shared test server
// the scheduler's own tests (running at the same time) would answer this file's requests, or this
// file's stand-in scheduler theirs.

/** The key set the harness's gateways sign with, unless a test passes AUTH_SIGNING_KEYS_FILE. */
export const TEST_SIGNING_KEYS = newSigningKeySet();

export interface TestAccount {
  readonly accountId: string;
  readonly keyId: string;
  readonly key: string;
}

export interface GatewayHarness {
  readonly gateway: RunningGateway;
  readonly config: GatewayConfig;
  readonly store: PostgresEventStore;
  readonly db: Kysely<ReadModelDatabase>;
  readonly nats: NatsConnection;
  createAccount(name?: string): Promise<TestAccount>;
  revokeKey(account: TestAccount): Promise<void>;
  /** An access token for the account's key. */
  tokenFor(account: TestAccount): Promise<string>;
  /** fetch against the gateway, with a bearer token when given. */
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  /** Decides a command on the task's stream and appends the outcome, as the scheduler would. */
  decideOnTask(command: TaskCommand): Promise<void>;
  /** Answers IssueTask (and IssueTaskBatch) requests as the scheduler does (records TaskIssued), until stopped. */
  standInScheduler(): { readonly requests: IssueTaskRequest[]; stop(): void };
  stop(): Promise<void>;
}

/**
 * `extensions.nodeCredentials`: the issuer of nodes' credentials; without one (the default) the
 * gateway answers node registrations 503, as it does when no NATS authority is configured.
 */
export async function startGatewayHarness(
  label: string,
  env: Readonly<Record<string, string>> = {},
  extensions: GatewayExtensions = {},
): Promise<GatewayHarness> {
  const database = await createTestDatabase(label);
  const natsServer = await startPrivateNats();
  const config = readConfig(gatewayConfigSchema, {
    DATABASE_URL: database.url,
    NATS_URL: natsServer.url,
    PORT: '0',
    // No rate limits unless a test sets them: tests exchange keys and call faster than clients should.
    RATE_LIMIT_PER_SECOND: '0',
    RATE_LIMIT_KEY_EXCHANGE_PER_SECOND: '0',
    ...(env['AUTH_SIGNING_KEYS_FILE'] === undefined
      ? { AUTH_SIGNING_KEYS: JSON.stringify(TEST_SIGNING_KEYS) }
      : {}),
    LOG_LEVEL: process.env['GATEWAY_TEST_LOG_LEVEL'] ?? 'silent',
    ...env,
  });
  const logger = createServiceLogger('gateway', config.LOG_LEVEL);
  const gateway = await startGateway(config, logger, extensions);
  const store = new PostgresEventStore({ connectionString: database.url });
  const db = createReadModelDb(database.url);
  const nats = await connect({ servers: natsServer.url });
  const aggregates = aggregatesOn(store);

  const createAccount = async (name = 'Acme'): Promise<TestAccount> => {
    const accountId = newObjectId();
    const key = generateApiKey(accountId);
    await aggregates.accounts.handle(accountStreamId(accountId), {
      type: 'CreateAccount',
      data: {
        accountId,
        name,
        keyId: key.keyId,
        keyHash: key.keyHash,
        label: 'tests',
        now: new Date().toISOString(),
      },
    });
    return { accountId, keyId: key.keyId, key: key.key };
  };

  const revokeKey = async (account: TestAccount): Promise<void> => {
    await aggregates.accounts.handle(accountStreamId(account.accountId), {
      type: 'RevokeApiKey',
      data: { accountId: account.accountId, keyId: account.keyId, now: new Date().toISOString() },
    });
  };

  const request = (requestPath: string, init: RequestInit & { token?: string } = {}) => {
    const { token, headers, ...rest } = init;
    const allHeaders = new Headers(headers);
    if (token !== undefined) allHeaders.set('authorization', `Bearer ${token}`);
    return fetch(`${gateway.url}${requestPath}`, { ...rest, headers: allHeaders });
  };

  const tokenFor = async (account: TestAccount): Promise<string> => {
    const response = await request('/v1/auth/apiKey', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: account.key }),
    });
    if (response.status !== 200) throw new Error(`token exchange answered ${response.status}`);
    return ((await response.json()) as { accessToken: string }).accessToken;
  };

  const decideOnTask = async (command: TaskCommand): Promise<void> => {
    await aggregates.tasks.handle(taskStreamId(command.data.taskId), command);
  };

  const standInScheduler = () => {
    const requests: IssueTaskRequest[] = [];
    const batches: Subscription = nats.subscribe(ISSUE_TASK_BATCH_SUBJECT, {
      queue: SCHEDULER_QUEUE_GROUP,
      callback: (_error, message) => {
        void (async () => {
          try {
            const batch = parseIssueTaskBatchRequest(
              decodeJson(message.data, 'IssueTaskBatch request'),
            );
            const { state } = await aggregates.functions.current(
              functionStreamId(batch.functionId),
            );
            if (definitionFor(state, batch.accountId) === undefined) {
              message.respond(
                JSON.stringify({
                  ok: false,
                  error: { code: 'FUNCTION_NOT_FOUND', message: 'no such function' },
                }),
              );
              return;
            }
            const outcomes = await Promise.all(
              batch.tasks.map((task) => {
                const issue = {
                  taskId: task.taskId,
                  accountId: batch.accountId,
                  functionId: batch.functionId,
                  scheduleId: null,
                  request: task.request,
                  issuedAt: batch.issuedAt,
                };
                requests.push(issue);
                return recordTaskIssued(aggregates, issue);
              }),
            );
            message.respond(JSON.stringify({ ok: true, outcomes }));
          } catch (error) {
            message.respond(
              JSON.stringify({ ok: false, error: { code: 'UNAVAILABLE', message: String(error) } }),
            );
          }
        })();
      },
    });
    const subscription: Subscription = nats.subscribe(ISSUE_TASK_SUBJECT, {
      queue: SCHEDULER_QUEUE_GROUP,
      callback: (_error, message) => {
        void (async () => {
          try {
            const issue = parseIssueTaskRequest(decodeJson(message.data, 'IssueTask request'));
            requests.push(issue);
            message.respond(JSON.stringify(await recordTaskIssued(aggregates, issue)));
          } catch (error) {
            message.respond(
              JSON.stringify({ ok: false, error: { code: 'UNAVAILABLE', message: String(error) } }),
            );
          }
        })();
      },
    });
    return {
      requests,
      stop: () => {
        subscription.unsubscribe();
        batches.unsubscribe();
      },
    };
  };

  return {
    gateway,
    config,
    store,
    db,
    nats,
    createAccount,
    revokeKey,
    tokenFor,
    request,
    decideOnTask,
    standInScheduler,
    async stop() {
      await gateway.stop();
      await nats.close();
      await db.destroy();
      await store.close();
      await natsServer.stop();
      await database.drop();
    },
  };
}

/** What the scheduler does with an IssueTask request, in short: check the function, record TaskIssued. */
async function recordTaskIssued(
  aggregates: Aggregates,
  issue: IssueTaskRequest,
): Promise<IssueTaskReply> {
  const { state } = await aggregates.functions.current(functionStreamId(issue.functionId));
  const fn = definitionFor(state, issue.accountId);
  if (fn === undefined) {
    return { ok: false, error: { code: 'FUNCTION_NOT_FOUND', message: 'no such function' } };
  }
  const { timeout, cpuCount, memSize, networkLatency, privileged } = fn.capabilities;
  await aggregates.tasks.handle(
    taskStreamId(issue.taskId),
    taskCommand('IssueTask', {
      ...issue,
      functionVersion: fn.version,
      requirements: { cpuCount, memSize, networkLatency, privileged },
      timeout,
      maxAttempts: 3,
      pendingDeadline: 300,
    }),
  );
  return { ok: true, taskId: issue.taskId };
}
