/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Tasks their owners cancelled are not the platform's failures: analysts want them apart. The view
// keeps every column it had (`failed` still counts them, as before) and gains `cancelled` at the
// end, which CREATE OR REPLACE VIEW allows without touching grants or dependants.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE OR REPLACE VIEW analytics.function_daily AS ${functionDaily(true)}`.execute(db);
  await describeFailed(
    db,
    'Of those, tasks the platform gave up on, or their owner cancelled (see cancelled).',
  );
  await sql`COMMENT ON COLUMN analytics.function_daily.cancelled IS ${sql.lit(
    'Of the failed, those their owner cancelled (failure_reason CANCELLED, status 499).',
  )}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // CREATE OR REPLACE VIEW cannot drop a column: the view is made again as it was.
  await sql`DROP VIEW analytics.function_daily`.execute(db);
  await sql`CREATE VIEW analytics.function_daily AS ${functionDaily(false)}`.execute(db);
  await sql`GRANT SELECT ON analytics.function_daily TO canopy_analyst`.execute(db);
  await describeFailed(db, 'Of those, tasks the platform gave up on.');
}

function functionDaily(withCancelled: boolean) {
  return sql`
    SELECT
      r.account_id,
      r.function_id,
      (r.issued_at AT TIME ZONE 'UTC')::date AS day,
      count(*)::integer AS tasks,
      (count(*) FILTER (WHERE r.state = 'finished'))::integer AS finished,
      (count(*) FILTER (WHERE r.state = 'finished' AND r.status BETWEEN 200 AND 299))::integer AS succeeded,
      (count(*) FILTER (WHERE r.state = 'failed'))::integer AS failed,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY r.queue_wait_seconds) AS p50_queue_wait_seconds,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.queue_wait_seconds) AS p95_queue_wait_seconds,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY r.run_seconds) FILTER (WHERE r.state = 'finished') AS p50_run_seconds,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.run_seconds) FILTER (WHERE r.state = 'finished') AS p95_run_seconds
      ${withCancelled ? sql`, (count(*) FILTER (WHERE r.failure_reason = 'CANCELLED'))::integer AS cancelled` : sql``}
    FROM analytics.task_runs AS r
    GROUP BY r.account_id, r.function_id, (r.issued_at AT TIME ZONE 'UTC')::date
  `;
}

async function describeFailed(db: Kysely<any>, text: string): Promise<void> {
  await sql`COMMENT ON COLUMN analytics.function_daily.failed IS ${sql.lit(text)}`.execute(db);
}
