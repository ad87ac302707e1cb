import type { RuntimeSpec } from '@canopy/contracts';
import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import type { KeysetKey } from './keyset.js';
import { inIndexOrder } from './index-order.js';
import { keysetTime } from './keyset-sql.js';

// The gateway's function queries, scoped by account: another account's function reads as missing.
// The list walks functions_account_created_idx newest first, in keyset pages.

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
  readonly registeredAt: Date;
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
    .where('account_id', '=', accountId);
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
      'created_at',
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
  created_at: Date;
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
    registeredAt: row.created_at,
  };
}
