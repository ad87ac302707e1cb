import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import type { ScheduleRow } from '../schema/schedules-table.js';
import type { KeysetKey } from './keyset.js';
import { inIndexOrder } from './index-order.js';
import { keysetTime } from './keyset-sql.js';

// The gateway's schedule queries, scoped by account: another account's schedule reads as missing,
// and the list leaves deleted ones out. The list walks schedules_account_created_idx newest first,
// in keyset pages.

export interface ScheduleDetail {
  readonly scheduleId: string;
  readonly functionId: string;
  readonly name: string;
  readonly description: string;
  readonly cron: string;
  readonly timeZone: string;
  readonly query: string;
  readonly contentType: string | null;
  readonly body: Buffer;
  readonly startAt: Date | null;
  readonly endAt: Date | null;
  readonly paused: boolean;
  readonly deleted: boolean;
  readonly activeSince: Date;
  readonly lastTickAt: Date | null;
  readonly lastTaskId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Version of the schedule's stream the row reflects. */
  readonly streamVersion: number;
}

export interface SchedulePage {
  /** Newest first. */
  readonly items: readonly ScheduleDetail[];
  readonly next: KeysetKey | null;
}

export async function findSchedule(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  scheduleId: string,
): Promise<ScheduleDetail | undefined> {
  const row = await scheduleColumns(db)
    .where('schedule_id', '=', scheduleId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row === undefined ? undefined : scheduleDetail(row);
}

export async function listSchedules(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  page: { readonly limit: number; readonly after?: KeysetKey | null },
): Promise<SchedulePage> {
  const rows = await inIndexOrder(db, (trx) =>
    scheduleListQuery(trx, accountId, page.after ?? null, page.limit + 1).execute(),
  );
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(scheduleDetail),
    next:
      rows.length > page.limit && last !== undefined
        ? { time: last.created_key, id: last.schedule_id }
        : null,
  };
}

/** The query behind {@link listSchedules}, exported so tests can check its plan. */
export function scheduleListQuery(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  after: KeysetKey | null,
  limit: number,
) {
  let query = scheduleColumns(db)
    .select(keysetTime('created_at').as('created_key'))
    .where('account_id', '=', accountId)
    .where('deleted', '=', false);
  if (after !== null) {
    query = query.where(
      sql<boolean>`(created_at, schedule_id) < (${after.time}::timestamptz, ${after.id})`,
    );
  }
  return query.orderBy('created_at', 'desc').orderBy('schedule_id', 'desc').limit(limit);
}

/** How many schedules the account has that are not deleted. */
export async function countSchedules(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
): Promise<number> {
  const row = await db
    .selectFrom('api.schedules')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('account_id', '=', accountId)
    .where('deleted', '=', false)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The columns a {@link ScheduleDetail} is read from. */
const detailColumns = [
  'schedule_id',
  'function_id',
  'name',
  'description',
  'cron',
  'time_zone',
  'query',
  'content_type',
  'body',
  'start_at',
  'end_at',
  'paused',
  'deleted',
  'active_since',
  'last_tick_at',
  'last_task_id',
  'created_at',
  'updated_at',
  'last_stream_version',
] as const;

function scheduleColumns(db: Kysely<ReadModelDatabase>) {
  return db.selectFrom('api.schedules').select(detailColumns);
}

function scheduleDetail(row: Pick<ScheduleRow, (typeof detailColumns)[number]>): ScheduleDetail {
  return {
    scheduleId: row.schedule_id,
    functionId: row.function_id,
    name: row.name,
    description: row.description ?? '',
    cron: row.cron,
    timeZone: row.time_zone,
    query: row.query,
    contentType: row.content_type,
    body: row.body,
    startAt: row.start_at,
    endAt: row.end_at,
    paused: row.paused,
    deleted: row.deleted,
    activeSince: row.active_since,
    lastTickAt: row.last_tick_at,
    lastTaskId: row.last_task_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    streamVersion: Number(row.last_stream_version),
  };
}
