import type { EventStore } from '@canopy/event-store';
import type { ReadModelDatabase } from '@canopy/read-models';
import type { ServiceLogger } from '@canopy/service-runtime';
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Kysely } from 'kysely';
import { AccessTokens } from './auth/access-tokens.js';
import { ApiKeyExchange } from './auth/api-key-exchange.js';
import { ApiKeys } from './auth/api-keys.js';
import { AuthController, JwksController } from './auth/auth.controller.js';
import { AccessTokenGuard } from './auth/authentication.js';
import { SigningKeys } from './auth/signing-keys.js';
import { FunctionCatalog } from './functions/function-catalog.js';
import type { FunctionChangeListener } from './functions/function-change-notices.js';
import { FunctionController } from './functions/function.controller.js';
import type { Aggregates } from './events/aggregates.js';
import { EVENT_STORE, LOGGER, READ_MODEL_DB } from './gateway-tokens.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { RateLimits } from './http/rate-limits.js';
import { NODE_CREDENTIALS_ISSUER } from './nodes/node-credentials.js';
import type { NodeCredentialsIssuer } from './nodes/node-credentials.js';
import { NodeController } from './nodes/node.controller.js';
import { ScheduleCatalog } from './schedules/schedule-catalog.js';
import { ScheduleController } from './schedules/schedule.controller.js';
import { NodeRegistrations } from './nodes/node-registrations.js';
import { TaskCanceller } from './tasks/task-canceller.js';
import { TaskEventStreams } from './tasks/task-event-streams.js';
import { TaskHistory } from './tasks/task-history.js';
import { TaskIssuer } from './tasks/task-issuer.js';
import { TaskBatchIssuer } from './tasks/task-batch-issuer.js';
import { ResultWaiters } from './tasks/result-waiters.js';
import { TaskReads } from './tasks/task-reads.js';
import { TaskController } from './tasks/task.controller.js';
import { IdempotentRequests } from './idempotency/idempotent-requests.js';

/** What the gateway's HTTP layer is built from; startGateway opens and closes them. */
export interface GatewayParts {
  readonly logger: ServiceLogger;
  readonly store: EventStore;
  /** The aggregates' command handlers, on `store`. */
  readonly aggregates: Aggregates;
  readonly db: Kysely<ReadModelDatabase>;
  readonly tokens: AccessTokens;
  readonly signingKeys: SigningKeys;
  readonly rateLimits: RateLimits;
  readonly issuer: TaskIssuer;
  readonly canceller: TaskCanceller;
  readonly batchIssuer: TaskBatchIssuer;
  readonly resultWaiters: ResultWaiters;
  readonly eventStreams: TaskEventStreams;
  /** Told of every function change before it is answered (the leading scheduler). */
  readonly functionChanges: FunctionChangeListener;
  /** Idempotency-Key handling of the creating requests. */
  readonly idempotency: IdempotentRequests;
  /** Issues nodes' NATS credentials; without one, node registration answers 503. */
  readonly nodeCredentials?: NodeCredentialsIssuer | null;
}

@Module({})
export class GatewayModule {
  static with(parts: GatewayParts): DynamicModule {
    const { aggregates } = parts;
    return {
      module: GatewayModule,
      // Readiness (observability/operations-routes.ts); failed checks are answered, not logged.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [
        AuthController,
        JwksController,
        FunctionController,
        TaskController,
        NodeController,
        MetricsController,
        ScheduleController,
      ],
      providers: [
        { provide: LOGGER, useValue: parts.logger },
        { provide: EVENT_STORE, useValue: parts.store },
        { provide: READ_MODEL_DB, useValue: parts.db },
        { provide: AccessTokens, useValue: parts.tokens },
        { provide: SigningKeys, useValue: parts.signingKeys },
        { provide: RateLimits, useValue: parts.rateLimits },
        { provide: ApiKeys, useValue: new ApiKeys(aggregates.accounts) },
        { provide: TaskIssuer, useValue: parts.issuer },
        { provide: TaskCanceller, useValue: parts.canceller },
        { provide: TaskEventStreams, useValue: parts.eventStreams },
        { provide: TaskHistory, useValue: new TaskHistory(parts.store) },
        { provide: TaskBatchIssuer, useValue: parts.batchIssuer },
        { provide: ResultWaiters, useValue: parts.resultWaiters },
        { provide: IdempotentRequests, useValue: parts.idempotency },
        {
          provide: ApiKeyExchange,
          useValue: new ApiKeyExchange(aggregates.accounts, parts.tokens),
        },
        {
          provide: FunctionCatalog,
          useValue: new FunctionCatalog(
            parts.db,
            parts.store,
            aggregates.functions,
            parts.functionChanges,
          ),
        },
        { provide: TaskReads, useValue: new TaskReads(parts.db, aggregates.tasks) },
        {
          provide: ScheduleCatalog,
          useFactory: (functions: FunctionCatalog) =>
            new ScheduleCatalog(parts.db, parts.store, aggregates.schedules, functions),
          inject: [FunctionCatalog],
        },
        { provide: NODE_CREDENTIALS_ISSUER, useValue: parts.nodeCredentials ?? null },
        {
          provide: NodeRegistrations,
          useValue: new NodeRegistrations(
            parts.db,
            aggregates.nodes,
            parts.nodeCredentials ?? null,
          ),
        },
        { provide: APP_GUARD, useClass: AccessTokenGuard },
      ],
    };
  }
}
