/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Retries, delays and priorities: a function's retry policy and priority; a task's priority and the
// time before which it is not offered; an attempt whose function answered with a retried status
// (TaskAttemptFailed). Rows written before keep the defaults: priority 5, no delay, no failure.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE api.functions
      ADD COLUMN priority smallint NOT NULL DEFAULT 5 CHECK (priority BETWEEN 0 AND 9),
      ADD COLUMN retry jsonb
  `.execute(db);
  await sql`
    ALTER TABLE api.tasks
      ADD COLUMN priority smallint NOT NULL DEFAULT 5 CHECK (priority BETWEEN 0 AND 9),
      ADD COLUMN not_before timestamptz
  `.execute(db);
  await sql`
    ALTER TABLE api.task_attempts
      ADD COLUMN failed_at timestamptz,
      ADD COLUMN failed_status smallint,
      ADD COLUMN retry_at timestamptz,
      ADD CONSTRAINT task_attempts_failure_complete CHECK (
        (failed_at IS NULL) = (failed_status IS NULL) AND (failed_at IS NULL) = (retry_at IS NULL)
      )
  `.execute(db);

  // Views gain columns at their end only (CREATE OR REPLACE VIEW keeps the existing ones).
  await sql`
    CREATE OR REPLACE VIEW analytics.task_runs AS
    SELECT
      t.task_id,
      t.account_id,
      t.function_id,
      t.schedule_id,
      t.node_id,
      t.attempt,
      t.issued_at,
      t.assigned_at,
      t.finished_at,
      EXTRACT(EPOCH FROM t.assigned_at - t.issued_at)::double precision AS queue_wait_seconds,
      EXTRACT(EPOCH FROM t.finished_at - t.assigned_at)::double precision AS run_seconds,
      t.status,
      t.state,
      t.failure_reason,
      t.function_version,
      t.priority,
      t.not_before
    FROM api.tasks AS t
  `.execute(db);
  await sql`
    CREATE OR REPLACE VIEW analytics.task_attempts AS
    SELECT
      a.task_id,
      t.account_id,
      t.function_id,
      a.attempt,
      a.node_id,
      a.assigned_at,
      a.unassigned_at,
      a.unassign_reason,
      EXTRACT(EPOCH FROM a.unassigned_at - a.assigned_at)::double precision AS held_seconds,
      a.failed_at,
      a.failed_status,
      a.retry_at
    FROM api.task_attempts AS a
    JOIN api.tasks AS t ON t.task_id = a.task_id
  `.execute(db);
  const comments: Record<string, string> = {
    'api.functions.priority': 'Priority of its tasks (0..9, 9 first) unless a task names its own.',
    'api.functions.retry':
      'Retry policy {maxAttempts, backoff {initialSeconds, multiplier, maxSeconds}, on}; NULL: no retry.',
    'api.tasks.priority': 'Priority 0..9 (9 first) the task was issued with.',
    'api.tasks.not_before': 'No node was offered the task before this time; NULL: no delay.',
    'analytics.task_runs.priority':
      'Priority 0..9 (9 first) the task was issued with; waiting also raises its rank (see docs/architecture.md "Priority and delay").',
    'analytics.task_runs.not_before':
      'The client asked that the task not start before this time (Canopy-Not-Before); NULL: no delay. queue_wait_seconds includes the delay.',
    'analytics.task_attempts.failed_at':
      'When the function answered this attempt with a status its retry policy retries (the attempt failed and the task was retried); NULL otherwise.',
    'analytics.task_attempts.failed_status': 'The HTTP status of that answer; NULL unless failed.',
    'analytics.task_attempts.retry_at':
      'When the task was due again after the backoff; NULL unless failed.',
  };
  for (const [column, text] of Object.entries(comments)) {
    await sql`COMMENT ON COLUMN ${sql.ref(column)} IS ${sql.lit(text)}`.execute(db);
  }
  await sql`GRANT SELECT ON analytics.task_runs, analytics.task_attempts TO canopy_analyst`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  // A view cannot lose columns by being replaced: the views are built again as they were before
  // (their comments are not restored), then the columns go.
  await sql`DROP VIEW analytics.task_attempts, analytics.function_daily, analytics.node_daily, analytics.task_runs`.execute(
    db,
  );
  await sql`
    CREATE VIEW analytics.task_runs AS
    SELECT t.task_id, t.account_id, t.function_id, t.schedule_id, t.node_id, t.attempt, t.issued_at,
      t.assigned_at, t.finished_at,
      EXTRACT(EPOCH FROM t.assigned_at - t.issued_at)::double precision AS queue_wait_seconds,
      EXTRACT(EPOCH FROM t.finished_at - t.assigned_at)::double precision AS run_seconds,
      t.status, t.state, t.failure_reason, t.function_version
    FROM api.tasks AS t
  `.execute(db);
  await sql`
    CREATE VIEW analytics.function_daily AS
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
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.run_seconds) FILTER (WHERE r.state = 'finished') AS p95_run_seconds,
      (count(*) FILTER (WHERE r.failure_reason = 'CANCELLED'))::integer AS cancelled
    FROM analytics.task_runs AS r
    GROUP BY r.account_id, r.function_id, (r.issued_at AT TIME ZONE 'UTC')::date
  `.execute(db);
  await sql`
    CREATE VIEW analytics.node_daily AS
    SELECT
      r.account_id,
      r.node_id,
      (r.assigned_at AT TIME ZONE 'UTC')::date AS day,
      count(*)::integer AS tasks,
      (count(*) FILTER (WHERE r.state = 'finished'))::integer AS finished,
      (count(*) FILTER (WHERE r.state = 'failed'))::integer AS failed,
      sum(r.run_seconds) AS busy_seconds,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY r.run_seconds) FILTER (WHERE r.state = 'finished') AS p50_run_seconds,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.run_seconds) FILTER (WHERE r.state = 'finished') AS p95_run_seconds
    FROM analytics.task_runs AS r
    WHERE r.node_id IS NOT NULL AND r.assigned_at IS NOT NULL
    GROUP BY r.account_id, r.node_id, (r.assigned_at AT TIME ZONE 'UTC')::date
  `.execute(db);
  await sql`
    CREATE VIEW analytics.task_attempts AS
    SELECT a.task_id, t.account_id, t.function_id, a.attempt, a.node_id, a.assigned_at,
           a.unassigned_at, a.unassign_reason,
           EXTRACT(EPOCH FROM a.unassigned_at - a.assigned_at)::double precision AS held_seconds
    FROM api.task_attempts AS a
    JOIN api.tasks AS t ON t.task_id = a.task_id
  `.execute(db);
  await sql`GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO canopy_analyst`.execute(db);
  await sql`ALTER TABLE api.task_attempts DROP CONSTRAINT task_attempts_failure_complete, DROP COLUMN failed_at, DROP COLUMN failed_status, DROP COLUMN retry_at`.execute(
    db,
  );
  await sql`ALTER TABLE api.tasks DROP COLUMN priority, DROP COLUMN not_before`.execute(db);
  await sql`ALTER TABLE api.functions DROP COLUMN priority, DROP COLUMN retry`.execute(db);
}
