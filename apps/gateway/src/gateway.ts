import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { taskStreamId } from '@canopy/contracts';
import type { IssueTaskRequest } from '@canopy/contracts';
import { observedEventStore, openEventStore } from '@canopy/event-store';
import { createIdempotencyDb, migrateIdempotency } from '@canopy/idempotency';
import {
  EventStoreMetrics,
  ServiceMetrics,
  startAdminServer,
  type ReadinessCheck,
} from '@canopy/observability';
import { memoryRateLimits, openPostgresRateLimits } from '@canopy/rate-limits';
import { createReadModelDb, migrateReadModels } from '@canopy/read-models';
import { isIssuedBy } from '@canopy/scheduling';
import type { ReadModelDatabase } from '@canopy/read-models';
import {
  loadNatsAuthority,
  nodeCredentialsIssuer,
  serviceConnectionOptions,
} from '@canopy/nats-auth';
import {
  NestLogger,
  eventStoreSelectionOf,
  natsServersForLog,
  sayWhileWaiting,
} from '@canopy/service-runtime';
import type { ServiceLogger } from '@canopy/service-runtime';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sql, type Kysely } from 'kysely';
import { AccessTokens } from './auth/access-tokens.js';
import { openSigningKeySource } from './auth/signing-key-source.js';
import type { GatewayConfig } from './config/gateway-config.js';
import { GatewayModule } from './gateway.module.js';
import { answerClientError } from './http/client-error.js';
import { ApiExceptionFilter } from './http/api-exception-filter.js';
import type { NodeCredentialsIssuer } from './nodes/node-credentials.js';
import { serveApiDocumentation } from './openapi/api-docs-routes.js';
import { DEFAULT_CONSOLE_DIR, serveConsole } from './console/console-routes.js';
import { RateLimits } from './http/rate-limits.js';
import { LeaderFunctionChangeNotices } from './functions/function-change-notices.js';
import { SchedulerRequests } from './tasks/scheduler-requests.js';
import { TaskCanceller } from './tasks/task-canceller.js';
import { TaskEventStreams } from './tasks/task-event-streams.js';
import { TaskIssuer } from './tasks/task-issuer.js';
import { TaskBatchIssuer } from './tasks/task-batch-issuer.js';
import { aggregatesOn } from './events/aggregates.js';
import { ResultWaiters } from './tasks/result-waiters.js';
import { IdempotentRequests } from './idempotency/idempotent-requests.js';
import { HttpMetrics } from './observability/http-metrics.js';
import { serveOperations } from './observability/operations-routes.js';
import { RateLimitStoreErrors } from './observability/rate-limit-store-errors.js';
import {
  observeRequests,
  requestAnswered,
  requestIdOf,
  requestLogFields,
} from './observability/request-observation.js';

export { gatewayConfigSchema } from './config/gateway-config.js';
export type { NodeCredentials, NodeCredentialsIssuer } from './nodes/node-credentials.js';
export type { GatewayConfig } from './config/gateway-config.js';

/**
 * The longest a function's change waits for the leading scheduler to confirm it before it is
 * answered all the same (function-change-notices.ts): a leader that answers at all does so within
 * milliseconds, so this is reached only when it is paused or overloaded.
 */
const FUNCTION_CHANGE_NOTICE_TIMEOUT_MS = 2_000;

export interface RunningGateway {
  /** Base URL the gateway listens on, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  /** The admin listener's URL (/metrics, /healthz, /readyz) when ADMIN_PORT is set. */
  readonly adminUrl: string | undefined;
  /** Result requests (`?wait=N`) waiting for their task right now, for diagnostics and tests. */
  waitingForResults(): number;
  /** Task event streams (`GET /v1/task/:taskId/events`, SSE) being sent right now. */
  followingTaskEvents(): number;
  /** Reads AUTH_SIGNING_KEYS_FILE now rather than at its next poll (tests, tools in-process). */
  reloadSigningKeys(): void;
  /** Wakes waiting requests, stops listening, drains NATS, closes the event store and the pool. */
  stop(): Promise<void>;
}

/** What the caller may plug into the gateway. */
export interface GatewayExtensions {
  /** Issues nodes' NATS credentials; without one, `POST /v1/node/:hash` answers 503. */
  readonly nodeCredentials?: NodeCredentialsIssuer | null;
}

/**
 * Starts the HTTP API: migrates the event store (PostgreSQL) and the read models, connects to NATS,
 * listens on HOST:PORT (PORT 0 picks a free port).
 */
export async function startGateway(
  config: GatewayConfig,
  logger: ServiceLogger,
  extensions: GatewayExtensions = {},
): Promise<RunningGateway> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn({ err: error }, 'error while stopping the gateway');
      }
    }
  };
  try {
    const signing = openSigningKeySource(config, logger);
    cleanups.push(async () => signing.close());

    const db: Kysely<ReadModelDatabase> = createReadModelDb(config.DATABASE_URL);
    cleanups.push(() => db.destroy());
    await migrateReadModels(db);
    const idempotencyDb = createIdempotencyDb(config.DATABASE_URL);
    cleanups.push(() => idempotencyDb.destroy());
    await migrateIdempotency(idempotencyDb);
    const idempotency = new IdempotentRequests(
      idempotencyDb,
      config.IDEMPOTENCY_TTL_SECONDS,
      logger,
    );
    idempotency.startPurging();
    cleanups.push(() => idempotency.stop());

    const metrics = new ServiceMetrics('gateway');
    const httpMetrics = new HttpMetrics(metrics.registry);
    const rateLimitStore =
      config.RATE_LIMIT_STORE === 'memory'
        ? memoryRateLimits()
        : await openPostgresRateLimits({
            connectionString: config.DATABASE_URL,
            onStoreError: new RateLimitStoreErrors(metrics.registry, logger).report,
          });
    cleanups.push(() => rateLimitStore.close());
    const store = observedEventStore(
      await openEventStore(eventStoreSelectionOf(config)),
      new EventStoreMetrics(metrics.registry),
    );
    cleanups.push(() => store.close());

    const aggregates = aggregatesOn(store);

    const nats: NatsConnection = await sayWhileWaiting(
      connect(await serviceConnectionOptions('canopy-gateway', config)),
      logger,
      `NATS at ${natsServersForLog(config.NATS_URL)}`,
    );
    cleanups.push(() => nats.drain());
    metrics.nats.watch(nats);
    const readinessChecks: ReadinessCheck[] = [
      {
        name: 'database',
        check: async () => {
          await sql`SELECT 1`.execute(db);
        },
      },
      metrics.nats.readinessCheck(),
    ];
    metrics.readiness.add(...readinessChecks);

    // Whether the event store holds the task an IssueTask request asked for (when no reply came).
    const recorded = async (request: IssueTaskRequest): Promise<boolean> => {
      const { state } = await aggregates.tasks.current(taskStreamId(request.taskId));
      return state.phase !== 'NotIssued' && isIssuedBy(state.task, request);
    };

    const schedulers = new SchedulerRequests(nats, config.GATEWAY_ISSUE_TIMEOUT_MS);
    const resultWaiters = new ResultWaiters(nats, logger);
    resultWaiters.start();
    const eventStreams = new TaskEventStreams(store, nats, logger);

    const app = await NestFactory.create<NestFastifyApplication>(
      GatewayModule.with({
        logger,
        store,
        db,
        tokens: new AccessTokens(signing.keys, {
          issuer: config.AUTH_TOKEN_ISSUER,
          audience: config.AUTH_TOKEN_AUDIENCE,
          ttlSeconds: config.AUTH_TOKEN_TTL_SECONDS,
        }),
        signingKeys: signing.keys,
        rateLimits: new RateLimits(rateLimitStore, {
          perSecond: config.RATE_LIMIT_PER_SECOND,
          burst: config.RATE_LIMIT_BURST,
          keyExchangesPerSecond: config.RATE_LIMIT_KEY_EXCHANGE_PER_SECOND,
        }),
        aggregates,
        issuer: new TaskIssuer(schedulers, logger, recorded),
        batchIssuer: new TaskBatchIssuer(
          schedulers,
          logger,
          recorded,
          config.GATEWAY_BODY_LIMIT_BYTES,
        ),
        canceller: new TaskCanceller(schedulers, logger),
        resultWaiters,
        eventStreams,
        functionChanges: new LeaderFunctionChangeNotices(
          nats,
          logger,
          metrics.registry,
          FUNCTION_CHANGE_NOTICE_TIMEOUT_MS,
        ),
        idempotency,
        nodeCredentials:
          extensions.nodeCredentials ??
          (config.NATS_AUTHORITY_FILE === undefined
            ? null
            : nodeCredentialsIssuer(await loadNatsAuthority(config.NATS_AUTHORITY_FILE))),
      }),
      new FastifyAdapter({
        bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
        clientErrorHandler: answerClientError,
        genReqId: requestIdOf,
      }),
      { bodyParser: false, logger: new NestLogger(logger), abortOnError: false },
    );
    const lifecycle = { stopping: false };
    cleanups.push(() => app.close());
    // Runs before app.close(): requests held by ?wait answer at once instead of holding the close,
    // and every response from now on closes its connection, so no idle keep-alive connection keeps
    // the server open until its keep-alive timeout.
    cleanups.push(async () => {
      lifecycle.stopping = true;
      resultWaiters.close();
      eventStreams.close();
    });
    app.useGlobalFilters(new ApiExceptionFilter(logger, config.GATEWAY_BODY_LIMIT_BYTES));
    configureFastify(app, lifecycle, logger, httpMetrics, config.GATEWAY_BATCH_BODY_LIMIT_BYTES);
    serveApiDocumentation(app);
    serveConsole(app, config.CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR, logger);
    serveOperations(app, metrics, readinessChecks, {
      serveMetrics: config.ADMIN_PORT === undefined,
    });

    await app.listen({ port: config.PORT, host: config.HOST });
    const admin =
      config.ADMIN_PORT === undefined
        ? undefined
        : await startAdminServer({ metrics, port: config.ADMIN_PORT, host: config.ADMIN_HOST });
    if (admin !== undefined) {
      cleanups.push(() => admin.stop());
      logger.info({ url: admin.url }, 'admin listener: /metrics, /healthz, /readyz');
    }
    const { port } = app.getHttpServer().address() as AddressInfo;
    const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    logger.info({ url }, 'gateway listening');

    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      adminUrl: admin?.url,
      waitingForResults: () => resultWaiters.waiting,
      followingTaskEvents: () => eventStreams.following,
      reloadSigningKeys: () => signing.reload(),
      stop: () => {
        stopping ??= cleanUp();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

// Bodies reach the handlers as raw bytes, whatever their content type: a task's body goes to its
// function untouched, and the JSON endpoints decode their own (http/request-body.ts). Fastify's
// bodyLimit answers 413 before a larger body is read.
function configureFastify(
  app: NestFastifyApplication,
  lifecycle: { readonly stopping: boolean },
  logger: ServiceLogger,
  httpMetrics: HttpMetrics,
  batchBodyLimitBytes: number,
): void {
  const fastify = app.getHttpAdapter().getInstance();
  observeRequests(fastify);
  // Routes are registered when the app starts listening, after this hook: a batch of tasks has a
  // larger body limit of its own.
  fastify.addHook('onRoute', (route) => {
    if (route.url.endsWith('/batch')) route.bodyLimit = batchBodyLimitBytes;
  });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (lifecycle.stopping) void reply.header('connection', 'close');
    return payload;
  });
  fastify.addHook('onResponse', async (request, reply) => {
    requestAnswered(request, reply);
    httpMetrics.responded(
      request.method,
      request.routeOptions.url,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    // The route, never the query string (the function's parameters) nor any header. The line is
    // built only when it is written: this runs for every request.
    if (!logger.isLevelEnabled('debug')) return;
    logger.debug(
      {
        ...requestLogFields(request),
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
}
