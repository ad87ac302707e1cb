import type { EventStore } from '@canopy/event-store';
import type { ReadModelDatabase } from '@canopy/read-models';
import type { ServiceLogger } from '@canopy/service-runtime';
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Kysely } from 'kysely';
import { AccessTokens } from './auth/access-tokens.js';
import { ApiKeyExchange } from './auth/api-key-exchange.js';
import { AuthController } from './auth/auth.controller.js';
import { AccessTokenGuard } from './auth/authentication.js';
import { FunctionCatalog } from './functions/function-catalog.js';
import { FunctionController } from './functions/function.controller.js';
import { EVENT_STORE, LOGGER, READ_MODEL_DB } from './gateway-tokens.js';
import { TaskIssuer } from './tasks/task-issuer.js';
import { TaskNotifications } from './tasks/task-notifications.js';
import { TaskReads } from './tasks/task-reads.js';
import { TaskController } from './tasks/task.controller.js';

/** What the gateway's HTTP layer is built from; startGateway opens and closes them. */
export interface GatewayParts {
  readonly logger: ServiceLogger;
  readonly store: EventStore;
  readonly db: Kysely<ReadModelDatabase>;
  readonly tokens: AccessTokens;
  readonly issuer: TaskIssuer;
  readonly notifications: TaskNotifications;
}

@Module({})
export class GatewayModule {
  static with(parts: GatewayParts): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [AuthController, FunctionController, TaskController],
      providers: [
        { provide: LOGGER, useValue: parts.logger },
        { provide: EVENT_STORE, useValue: parts.store },
        { provide: READ_MODEL_DB, useValue: parts.db },
        { provide: AccessTokens, useValue: parts.tokens },
        { provide: TaskIssuer, useValue: parts.issuer },
        { provide: TaskNotifications, useValue: parts.notifications },
        { provide: ApiKeyExchange, useValue: new ApiKeyExchange(parts.store, parts.tokens) },
        { provide: FunctionCatalog, useValue: new FunctionCatalog(parts.db, parts.store) },
        { provide: TaskReads, useValue: new TaskReads(parts.db, parts.store) },
        { provide: APP_GUARD, useClass: AccessTokenGuard },
      ],
    };
  }
}
