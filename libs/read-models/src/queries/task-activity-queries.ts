import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';

// An account's recent activity, minute by minute: for the tasks issued in each minute, how many
// there were, how many finished (the function answered) or failed (the platform gave up), and the
// time to result (issued → finished) of those that finished, as its median and 95th percentile.
// Tasks are grouped by the minute they were issued, so one range scan of tasks_account_issued_idx
// (account_id, issued_at) reads them: a task issued before the window is not counted, even when it
// finished inside it.

export interface TaskActivityMinute {
  /** The minute's first second. */
  readonly startsAt: Date;
  readonly issued: number;
  readonly finished: number;
  readonly failed: number;
  /** Seconds from issue to finish; null when no task of the minute has finished. */
  readonly latencyP50: number | null;
  readonly latencyP95: number | null;
}

/**
 * The `minutes` whole minutes up to and including the one `now` is in, oldest first, every minute
 * present (zeros where nothing was issued).
 */
export async function findRecentTaskActivity(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  now: Date,
  minutes: number,
): Promise<TaskActivityMinute[]> {
  const lastMinute = Math.floor(now.getTime() / 60_000);
  const firstMinute = lastMinute - minutes + 1;
  const since = new Date(firstMinute * 60_000);
  const until = new Date((lastMinute + 1) * 60_000);
  const seconds = sql<number>`extract(epoch from finished_at - issued_at)`;
  const rows = await db
    .selectFrom('api.tasks')
    .select([
      sql<string>`floor(extract(epoch from issued_at) / 60)::bigint`.as('minute'),
      (eb) => eb.fn.countAll<string>().as('issued'),
      sql<string>`count(*) filter (where state = 'finished')`.as('finished'),
      sql<string>`count(*) filter (where state = 'failed')`.as('failed'),
      sql<
        number | null
      >`percentile_cont(0.5) within group (order by ${seconds}) filter (where state = 'finished')`.as(
        'p50',
      ),
      sql<
        number | null
      >`percentile_cont(0.95) within group (order by ${seconds}) filter (where state = 'finished')`.as(
        'p95',
      ),
    ])
    .where('account_id', '=', accountId)
    .where('issued_at', '>=', since)
    .where('issued_at', '<', until)
    .groupBy(sql`1`)
    .execute();
  const byMinute = new Map(rows.map((row) => [Number(row.minute), row]));
  const activity: TaskActivityMinute[] = [];
  for (let minute = firstMinute; minute <= lastMinute; minute += 1) {
    const row = byMinute.get(minute);
    activity.push({
      startsAt: new Date(minute * 60_000),
      issued: Number(row?.issued ?? 0),
      finished: Number(row?.finished ?? 0),
      failed: Number(row?.failed ?? 0),
      latencyP50: seconds3(row?.p50),
      latencyP95: seconds3(row?.p95),
    });
  }
  return activity;
}

/** Seconds to the millisecond (timestamps have microseconds; nobody reads them on a chart). */
function seconds3(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return Math.round(Number(value) * 1000) / 1000;
}
