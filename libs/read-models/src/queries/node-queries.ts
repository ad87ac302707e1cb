import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { inIndexOrder } from './index-order.js';
import type { KeysetKey } from './keyset.js';
import { keysetTime } from './keyset-sql.js';

// The gateway's node queries, scoped by account: another account's node reads as missing. The list
// walks nodes_account_registered_idx newest registration first, in keyset pages; each node's count
// of running tasks is api.nodes.running_tasks, which the projector keeps.

export interface NodeDetail {
  readonly nodeId: string;
  readonly hash: string;
  readonly description: string;
  /** Connected and announced (and not disabled). */
  readonly available: boolean;
  readonly disabled: boolean;
  /** Null until the node first announced itself. */
  readonly capabilities: {
    readonly cpuCount: number;
    readonly memSize: number;
    readonly networkLatency: number;
    readonly privileged: boolean;
  } | null;
  readonly slots: number | null;
  /** Tasks assigned to the node right now. */
  readonly runningTasks: number;
  readonly lastSeenAt: Date | null;
  readonly registeredAt: Date;
}

export interface NodePage {
  /** Newest registration first. */
  readonly items: readonly NodeDetail[];
  readonly next: KeysetKey | null;
}

export async function findNode(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  nodeId: string,
): Promise<NodeDetail | undefined> {
  const row = await nodeColumns(db)
    .where('node_id', '=', nodeId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row === undefined ? undefined : nodeDetail(row);
}

/** Tasks assigned to the node according to the read models (the projector keeps the count). */
export async function countRunningTasks(
  db: Kysely<ReadModelDatabase>,
  nodeId: string,
): Promise<number> {
  const row = await db
    .selectFrom('api.nodes')
    .select('running_tasks')
    .where('node_id', '=', nodeId)
    .executeTakeFirst();
  return row?.running_tasks ?? 0;
}

export async function listNodes(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  page: { readonly limit: number; readonly after?: KeysetKey | null },
): Promise<NodePage> {
  const rows = await inIndexOrder(db, (trx) =>
    nodeListQuery(trx, accountId, page.after ?? null, page.limit + 1).execute(),
  );
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(nodeDetail),
    next:
      rows.length > page.limit && last !== undefined
        ? { time: last.registered_key, id: last.node_id }
        : null,
  };
}

/** The query behind {@link listNodes}, exported so tests can check its plan. */
export function nodeListQuery(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  after: KeysetKey | null,
  limit: number,
) {
  let query = nodeColumns(db)
    .select(keysetTime('registered_at').as('registered_key'))
    .where('account_id', '=', accountId);
  if (after !== null) {
    query = query.where(
      sql<boolean>`(registered_at, node_id) < (${after.time}::timestamptz, ${after.id})`,
    );
  }
  return query.orderBy('registered_at', 'desc').orderBy('node_id', 'desc').limit(limit);
}

function nodeColumns(db: Kysely<ReadModelDatabase>) {
  return db
    .selectFrom('api.nodes')
    .select([
      'node_id',
      'hash',
      'description',
      'available',
      'disabled',
      'cpu_count',
      'mem_size',
      'network_latency',
      'privileged',
      'slots',
      'last_seen_at',
      'registered_at',
      'running_tasks',
    ]);
}

function nodeDetail(row: {
  node_id: string;
  hash: string | null;
  description: string | null;
  available: boolean;
  disabled: boolean;
  cpu_count: number | null;
  mem_size: number | null;
  network_latency: number | null;
  privileged: boolean | null;
  slots: number | null;
  last_seen_at: Date | null;
  registered_at: Date | null;
  running_tasks: number;
}): NodeDetail {
  const announced =
    row.cpu_count !== null &&
    row.mem_size !== null &&
    row.network_latency !== null &&
    row.privileged !== null;
  return {
    nodeId: row.node_id,
    hash: row.hash ?? '',
    description: row.description ?? '',
    available: row.available,
    disabled: row.disabled,
    capabilities: announced
      ? {
          cpuCount: row.cpu_count ?? 0,
          memSize: row.mem_size ?? 0,
          networkLatency: row.network_latency ?? 0,
          privileged: row.privileged ?? false,
        }
      : null,
    slots: row.slots,
    runningTasks: row.running_tasks,
    lastSeenAt: row.last_seen_at,
    // Only registered nodes have an account, and every registration has a time.
    registeredAt: row.registered_at ?? new Date(0),
  };
}
