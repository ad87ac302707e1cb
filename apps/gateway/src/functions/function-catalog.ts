import { functionStreamId } from '@canopy/contracts';
import type { FunctionDefinition, FunctionRegisteredData } from '@canopy/contracts';
import { definitionFor } from '@canopy/function-domain';
import {
  encodeKeysetCursor,
  findFunction,
  findFunctionMetrics,
  listFunctions,
} from '@canopy/read-models';
import type { FunctionDetail, KeysetKey, ReadModelDatabase } from '@canopy/read-models';
import type { Kysely } from 'kysely';
import { notFound } from '../http/api-error.js';
import type { Aggregates } from '../events/aggregates.js';
import { newObjectId } from '@canopy/identity';
import type { FunctionMetricsJson } from '../metrics/metrics-schemas.js';
import type { FunctionRegistration } from './function-api-schemas.js';
import { unixSeconds } from '../tasks/task-json.js';

// Functions of one account: registered into their own stream (`function-<id>`), read from the read
// model, and from the stream while the projector has not caught up with a new registration.

/** A function as the API shows it: as registered, plus its id and registration time. */
export interface FunctionJson extends Readonly<FunctionDefinition> {
  readonly id: string;
  /** Unix seconds, as a string like the task API's times. */
  readonly created: string;
}

/** `GET /v1/function/:id`: the function and counts of its tasks. */
export interface FunctionWithMetricsJson extends FunctionJson {
  readonly metrics: FunctionMetricsJson;
}

export class FunctionCatalog {
  constructor(
    private readonly db: Kysely<ReadModelDatabase>,
    private readonly functions: Aggregates['functions'],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Registers the function a POST /v1/function body describes (function-api-schemas.ts); its id.
   * `as` names it and its registration time (an Idempotency-Key's reservation).
   */
  async register(
    accountId: string,
    registration: FunctionRegistration,
    as?: { readonly id: string; readonly at: Date },
  ): Promise<string> {
    const now = as?.at ?? this.now();
    const functionId = as?.id ?? newObjectId(now);
    await this.functions.handle(functionStreamId(functionId), {
      type: 'RegisterFunction',
      data: { functionId, accountId, ...registration, now: now.toISOString() },
    });
    return functionId;
  }

  async get(accountId: string, functionId: string): Promise<FunctionWithMetricsJson> {
    const [found, metrics] = await Promise.all([
      this.find(accountId, functionId),
      // Counters of another account's function read as zeros; the answer is a 404 anyway.
      findFunctionMetrics(this.db, accountId, functionId, this.now()),
    ]);
    return {
      ...found,
      metrics: {
        todaysTasks: metrics.todaysTasks,
        pendingTasks: metrics.pendingTasks,
        weekTasks: metrics.weekTasks,
        completedTasks: metrics.completedTasks,
      },
    };
  }

  private async find(accountId: string, functionId: string): Promise<FunctionJson> {
    const projected = await findFunction(this.db, accountId, functionId);
    if (projected !== undefined) return functionJsonFromReadModel(projected);
    const { state } = await this.functions.current(functionStreamId(functionId));
    const definition = definitionFor(state, accountId);
    if (definition === undefined) throw notFound(`no function ${functionId}`);
    return functionJsonFromStream(definition);
  }

  async list(
    accountId: string,
    page: { readonly limit: number; readonly after: KeysetKey | null },
  ): Promise<{ readonly entries: FunctionJson[]; readonly nextCursor: string | null }> {
    const { items, next } = await listFunctions(this.db, accountId, page);
    return {
      entries: items.map(functionJsonFromReadModel),
      nextCursor: next === null ? null : encodeKeysetCursor(next),
    };
  }
}

function functionJsonFromReadModel(detail: FunctionDetail): FunctionJson {
  return {
    id: detail.functionId,
    name: detail.name,
    description: detail.description,
    lang: detail.lang,
    type: detail.type,
    capabilities: { ...detail.capabilities },
    runtime: detail.runtime,
    created: unixSeconds(detail.registeredAt),
  };
}

function functionJsonFromStream(definition: FunctionRegisteredData): FunctionJson {
  return {
    id: definition.functionId,
    name: definition.name,
    description: definition.description,
    lang: definition.lang,
    type: definition.type,
    capabilities: definition.capabilities,
    runtime: definition.runtime,
    created: unixSeconds(definition.registeredAt),
  };
}
