import type { RetryPolicy, RuntimeSpec } from '@canopy/contracts';
import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import type { KeysetKey } from './keyset.js';
import { inIndexOrder } from './index-order.js';
import { keysetTime } from './keyset-sql.js';

// The gateway's function queries, scoped by account: another account's function reads as missing.
// The list walks functions_account_created_idx newest first, in keyset pages, without the deleted
// functions; a single function is found deleted or not (its tasks stay readable), with `deletedAt`.

export interface FunctionDetail {
  readonly functionId: string;
  readonly name: string;
  readonly description: string;
  readonly lang: string;
  readonly type: string;
  readonly capabilities: {
    readonly timeout: number;
    readonly cpuCount: number;
    readonly memSize: number;
    readonly networkLatency: number;
    readonly privileged: boolean;
  };
  readonly runtime: RuntimeSpec;
  /** Its tasks' priority unless a task names its own. */
  readonly priority: number;
  /** Null: no answer is retried. */
  readonly retry: RetryPolicy | null;
  readonly registeredAt: Date;
  /** 1 when registered, one more for each change. */
  readonly version: number;
  /** When this version was made. */
  readonly versionCreatedAt: Date;
  /** When the function was deleted; null while it takes tasks. */
  readonly deletedAt: Date | null;
  /** The version of the function's stream the row reflects. */
  readonly streamVersion: number;
}

export interface FunctionPage {
  /** Newest first. */
  readonly items: readonly FunctionDetail[];
  readonly next: KeysetKey | null;
}

export async function findFunction(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  functionId: string,
): Promise<FunctionDetail | undefined> {
  const row = await functionColumns(db)
    .where('function_id', '=', functionId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row === undefined ? undefined : functionDetail(row);
}

/**
 * Version `version` of the account's function, deleted or not; undefined when it has no such version
 * projected. `streamVersion` is the function row's.
 */
export async function findFunctionVersion(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  functionId: string,
  version: number,
): Promise<FunctionDetail | undefined> {
  const row = await db
    .selectFrom('api.function_versions as v')
    .innerJoin('api.functions as f', 'f.function_id', 'v.function_id')
    .select([
      'f.function_id',
      'f.name',
      'v.description',
      'f.lang',
      'f.type',
      'v.timeout_seconds',
      'v.cpu_count',
      'v.mem_size',
      'v.network_latency',
      'v.privileged',
      'v.runtime',
      'v.priority',
      'v.retry',
      'f.created_at',
      'v.version',
      'v.created_at as updated_at',
      'f.deleted_at',
      'f.last_stream_version',
    ])
    .where('v.function_id', '=', functionId)
    .where('v.version', '=', version)
    .where('v.account_id', '=', accountId)
    .executeTakeFirst();
  return row === undefined ? undefined : functionDetail(row);
}

export async function listFunctions(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  page: { readonly limit: number; readonly after?: KeysetKey | null },
): Promise<FunctionPage> {
  const rows = await inIndexOrder(db, (trx) =>
    functionListQuery(trx, accountId, page.after ?? null, page.limit + 1).execute(),
  );
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(functionDetail),
    next:
      rows.length > page.limit && last !== undefined
        ? { time: last.created_key, id: last.function_id }
        : null,
  };
}

/** The query behind {@link listFunctions}, exported so tests can check its plan. */
export function functionListQuery(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  after: KeysetKey | null,
  limit: number,
) {
  let query = functionColumns(db)
    .select(keysetTime('created_at').as('created_key'))
    .where('account_id', '=', accountId)
    .where('deleted_at', 'is', null);
  if (after !== null) {
    query = query.where(
      sql<boolean>`(created_at, function_id) < (${after.time}::timestamptz, ${after.id})`,
    );
  }
  return query.orderBy('created_at', 'desc').orderBy('function_id', 'desc').limit(limit);
}

function functionColumns(db: Kysely<ReadModelDatabase>) {
  return db
    .selectFrom('api.functions')
    .select([
      'function_id',
      'name',
      'description',
      'lang',
      'type',
      'timeout_seconds',
      'cpu_count',
      'mem_size',
      'network_latency',
      'privileged',
      'runtime',
      'priority',
      'retry',
      'created_at',
      'version',
      'updated_at',
      'deleted_at',
      'last_stream_version',
    ]);
}

function functionDetail(row: {
  function_id: string;
  name: string;
  description: string | null;
  lang: string;
  type: string;
  timeout_seconds: number;
  cpu_count: number;
  mem_size: number;
  network_latency: number;
  privileged: boolean;
  runtime: RuntimeSpec;
  priority: number;
  retry: RetryPolicy | null;
  created_at: Date;
  version: number;
  updated_at: Date;
  deleted_at: Date | null;
  last_stream_version: string;
}): FunctionDetail {
  return {
    functionId: row.function_id,
    name: row.name,
    description: row.description ?? '',
    lang: row.lang,
    type: row.type,
    capabilities: {
      timeout: row.timeout_seconds,
      cpuCount: row.cpu_count,
      memSize: row.mem_size,
      networkLatency: row.network_latency,
      privileged: row.privileged,
    },
    runtime: row.runtime,
    priority: row.priority,
    retry: row.retry,
    registeredAt: row.created_at,
    version: row.version,
    versionCreatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    streamVersion: Number(row.last_stream_version),
  };
}
