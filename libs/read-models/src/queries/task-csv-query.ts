import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import type { KeysetKey } from './keyset.js';
import { inIndexOrder } from './index-order.js';
import { keysetTime } from './keyset-sql.js';

// The rows of a function's CSV export, oldest first (as in the contract's example), read in keyset
// chunks: each chunk is one short query that walks an index of api.tasks in order (by function, or
// by schedule) and looks each task's response up by primary key, resuming after the last row of the
// previous chunk. Memory holds one chunk whatever the export's size. Chunks rather than one
// server-side cursor: PostgreSQL plans a cursor-less portal for all of its rows (a sort of the whole
// export, bodies included, before the first byte), and a download that a slow client reads for
// minutes would pin a pooled connection and an old snapshot (holding back vacuum) the whole time.

export interface TaskCsvFilter {
  readonly functionId: string;
  readonly scheduleId?: string;
  /** Issued at or after this instant. */
  readonly issuedFrom?: Date;
  /** Issued strictly before this instant. */
  readonly issuedBefore?: Date;
}

export interface TaskCsvRow {
  readonly taskId: string;
  readonly issuedAt: Date;
  /** 0 until terminal, then the function's status or the platform's. */
  readonly status: number;
  /** Null until the task finished, and for a task the platform failed. */
  readonly contentType: string | null;
  readonly body: Buffer | null;
}

export const defaultCsvChunkSize = 1000;

/** Streams the account's tasks of one function, oldest first. */
export async function* streamTaskCsvRows(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  filter: TaskCsvFilter,
  chunkSize = defaultCsvChunkSize,
): AsyncGenerator<TaskCsvRow, void, undefined> {
  let after: KeysetKey | null = null;
  for (;;) {
    const { rows, last } = await readChunk(db, accountId, filter, after, chunkSize);
    yield* rows;
    if (rows.length < chunkSize || last === null) return;
    after = last;
  }
}

async function readChunk(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  filter: TaskCsvFilter,
  after: KeysetKey | null,
  limit: number,
): Promise<{ rows: TaskCsvRow[]; last: KeysetKey | null }> {
  const found = await inIndexOrder(db, (trx) =>
    taskCsvChunkQuery(trx, accountId, filter, after, limit).execute(),
  );
  const last = found.at(-1);
  return {
    rows: found.map((row) => ({
      taskId: row.task_id,
      issuedAt: row.issued_at,
      status: row.status,
      contentType: row.content_type,
      body: row.body,
    })),
    last: last === undefined ? null : { time: last.issued_key, id: last.task_id },
  };
}

/** One chunk of {@link streamTaskCsvRows}, exported so tests can check its plan. */
export function taskCsvChunkQuery(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  filter: TaskCsvFilter,
  after: KeysetKey | null,
  limit: number,
) {
  let query = db
    .selectFrom('api.tasks as t')
    .leftJoin('api.task_results as r', 'r.task_id', 't.task_id')
    .select(['t.task_id', 't.issued_at', 't.status', 'r.content_type', 'r.body'])
    .select(keysetTime('t.issued_at').as('issued_key'))
    .where('t.account_id', '=', accountId)
    .where('t.function_id', '=', filter.functionId);
  if (filter.scheduleId !== undefined) query = query.where('t.schedule_id', '=', filter.scheduleId);
  if (filter.issuedFrom !== undefined) query = query.where('t.issued_at', '>=', filter.issuedFrom);
  if (filter.issuedBefore !== undefined)
    query = query.where('t.issued_at', '<', filter.issuedBefore);
  if (after !== null) {
    query = query.where(
      sql<boolean>`(t.issued_at, t.task_id) > (${after.time}::timestamptz, ${after.id})`,
    );
  }
  return query.orderBy('t.issued_at', 'asc').orderBy('t.task_id', 'asc').limit(limit);
}
