import { DEFAULT_TASK_PRIORITY, functionStreamId } from '@canopy/contracts';
import { noOrigin } from '@canopy/observability';
import type { MessageOrigin } from '@canopy/observability';
import type { FunctionDefinition, RetryPolicy } from '@canopy/contracts';
import type { EventStore } from '@canopy/event-store';
import { definitionFor, FunctionRuleViolation } from '@canopy/function-domain';
import type { FunctionState, FunctionVersion } from '@canopy/function-domain';
import {
  encodeKeysetCursor,
  findFunction,
  findFunctionMetrics,
  findFunctionVersion,
  listFunctions,
} from '@canopy/read-models';
import type { FunctionDetail, KeysetKey, ReadModelDatabase } from '@canopy/read-models';
import type { Kysely } from 'kysely';
import { notFound } from '../http/api-error.js';
import type { Aggregates } from '../events/aggregates.js';
import { newObjectId } from '@canopy/identity';
import type { FunctionMetricsJson } from '../metrics/metrics-schemas.js';
import type { FunctionChangeListener } from './function-change-notices.js';
import type { FunctionChangesBody, FunctionRegistration } from './function-api-schemas.js';
import { unixSeconds } from '../tasks/task-json.js';

// Functions of one account: registered, changed and deleted in their own stream (`function-<id>`),
// read from the read model, and from the stream where the projector has not caught up with it (a
// new function, a change or a deletion a moment ago). A deleted function reads as missing on every
// function route; its tasks, their results and its CSV stay readable.

/** A function as the API shows it: a version of it, with its id, version and times. */
export interface FunctionJson extends Readonly<Omit<FunctionDefinition, 'retry' | 'priority'>> {
  readonly id: string;
  /** null: no answer is retried. */
  readonly retry: RetryPolicy | null;
  /** Its tasks' priority unless a task names its own. */
  readonly priority: number;
  /** Unix seconds, as a string like the task API's times. */
  readonly created: string;
  readonly version: number;
  /** When this version was made, unix seconds. */
  readonly updated: string;
}

/** `GET /v1/function/:id`: the function and counts of its tasks. */
export interface FunctionWithMetricsJson extends FunctionJson {
  readonly metrics: FunctionMetricsJson;
}

export class FunctionCatalog {
  constructor(
    private readonly db: Kysely<ReadModelDatabase>,
    private readonly store: EventStore,
    private readonly functions: Aggregates['functions'],
    /** Told of every change and deletion before it is answered (function-change-notices.ts). */
    private readonly changes: FunctionChangeListener,
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

  /** The function's current version, or version `version`; a 404 for a deleted or unknown one. */
  async get(
    accountId: string,
    functionId: string,
    version?: number,
  ): Promise<FunctionWithMetricsJson> {
    const [found, metrics] = await Promise.all([
      this.find(accountId, functionId, version),
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

  /**
   * Makes a new version with the changes (none when they change nothing); the function as it is
   * afterwards. Resolves once the leading scheduler issues tasks against the new version.
   */
  async change(
    accountId: string,
    functionId: string,
    changes: FunctionChangesBody,
    origin: MessageOrigin = noOrigin,
  ): Promise<FunctionJson> {
    const { after, events, version } = await this.functions
      .handle(functionStreamId(functionId), {
        type: 'ChangeFunction',
        data: { functionId, accountId, changes, now: this.now().toISOString() },
      })
      .catch((error: unknown) => {
        throw inApiTerms(error, functionId);
      });
    if (events.length > 0) await this.changes.changed(functionId, version, origin);
    return functionJsonOf(liveVersion(after, accountId, functionId));
  }

  /**
   * Deletes the function: it takes no new task from now on and reads as missing. Resolves once the
   * leading scheduler takes no new task of it.
   */
  async delete(
    accountId: string,
    functionId: string,
    origin: MessageOrigin = noOrigin,
  ): Promise<void> {
    const { events, version } = await this.functions
      .handle(functionStreamId(functionId), (current) => {
        liveVersion(current, accountId, functionId);
        return {
          type: 'DeleteFunction',
          data: { functionId, accountId, now: this.now().toISOString() },
        };
      })
      .catch((error: unknown) => {
        throw inApiTerms(error, functionId);
      });
    if (events.length > 0) await this.changes.changed(functionId, version, origin);
  }

  /**
   * Whether the account has or had the function (deleted or not): what reading its tasks needs. A
   * 404 otherwise.
   */
  async assertRegistered(accountId: string, functionId: string): Promise<void> {
    if ((await findFunction(this.db, accountId, functionId)) !== undefined) return;
    const { state } = await this.functions.current(functionStreamId(functionId));
    const first = state.phase === 'NotRegistered' ? undefined : state.versions[0];
    if (first?.accountId !== accountId) throw functionNotFound(functionId);
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

  /**
   * The read model's row when nothing was appended to the function's stream after it (one short
   * read of the stream's tail tells), the stream folded otherwise.
   */
  private async find(
    accountId: string,
    functionId: string,
    version: number | undefined,
  ): Promise<FunctionJson> {
    const row = await findFunction(this.db, accountId, functionId);
    if (row?.deletedAt !== null && row?.deletedAt !== undefined) throw functionNotFound(functionId);
    if (row !== undefined && (await this.isCurrent(row))) {
      if (version === undefined || version === row.version) return functionJsonFromReadModel(row);
      if (version > row.version) throw versionNotFound(functionId, version);
      const older = await findFunctionVersion(this.db, accountId, functionId, version);
      if (older !== undefined) return functionJsonFromReadModel(older);
    }
    const { state } = await this.functions.current(functionStreamId(functionId));
    if (definitionFor(state, accountId) === undefined) throw functionNotFound(functionId);
    const found = definitionFor(state, accountId, version);
    if (found === undefined) throw versionNotFound(functionId, version ?? 0);
    return functionJsonOf(found);
  }

  private async isCurrent(row: FunctionDetail): Promise<boolean> {
    const after = await this.store.readStream(functionStreamId(row.functionId), {
      fromVersion: row.streamVersion + 1,
      maxCount: 1,
    });
    return after.length === 0;
  }
}

function liveVersion(state: FunctionState, accountId: string, functionId: string): FunctionVersion {
  const current = definitionFor(state, accountId);
  if (current === undefined) throw functionNotFound(functionId);
  return current;
}

function functionNotFound(functionId: string) {
  return notFound(`no function ${functionId}`);
}

function versionNotFound(functionId: string, version: number) {
  return notFound(`function ${functionId} has no version ${version}`);
}

/** The decider's refusal of a function it does not know in the account, as the API's 404. */
function inApiTerms(error: unknown, functionId: string): unknown {
  return error instanceof FunctionRuleViolation && error.code === 'FUNCTION_NOT_FOUND'
    ? functionNotFound(functionId)
    : error;
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
    retry: detail.retry,
    priority: detail.priority,
    created: unixSeconds(detail.registeredAt),
    version: detail.version,
    updated: unixSeconds(detail.versionCreatedAt),
  };
}

function functionJsonOf(version: FunctionVersion): FunctionJson {
  return {
    id: version.functionId,
    name: version.name,
    description: version.description,
    lang: version.lang,
    type: version.type,
    capabilities: version.capabilities,
    runtime: version.runtime,
    retry: version.retry ?? null,
    priority: version.priority ?? DEFAULT_TASK_PRIORITY,
    created: unixSeconds(version.registeredAt),
    version: version.version,
    updated: unixSeconds(version.versionCreatedAt),
  };
}
