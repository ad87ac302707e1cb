/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Views for analysts over the API's read models. They run with their owner's rights, so an
// analyst needs access to `analytics` only. Durations are double precision seconds (EXTRACT would
// give numeric, which node-postgres reads as a string); counts are integers.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createSchema('analytics').ifNotExists().execute();
  await sql`COMMENT ON SCHEMA analytics IS 'Documented, read-only views of Canopy''s task data for analysts (role canopy_analyst). See docs/read-models.md.'`.execute(
    db,
  );

  await sql`
    CREATE VIEW analytics.task_runs AS
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
      t.failure_reason
    FROM api.tasks AS t
  `.execute(db);
  await comment(
    db,
    'analytics.task_runs',
    'One row per task: when it was issued, assigned and finished, how long it waited and ran, and how it ended. Reflects the latest attempt only.',
    {
      task_id: 'Task id (24 hexadecimal characters).',
      account_id: 'Account that owns the task.',
      function_id: 'Function the task invokes.',
      schedule_id: 'Schedule that issued the task; NULL when a client issued it directly.',
      node_id: 'Node of the latest assignment; NULL if the task was never assigned.',
      attempt: 'Number of the latest assignment attempt (0 if never assigned).',
      issued_at: 'When the scheduler accepted the task.',
      assigned_at: 'When a node accepted the latest assignment; NULL while pending.',
      finished_at: 'When the task became terminal (finished or failed); NULL until then.',
      queue_wait_seconds: 'assigned_at - issued_at in seconds; NULL until assigned.',
      run_seconds:
        'finished_at - assigned_at in seconds; NULL until terminal or if never assigned.',
      status:
        "HTTP status: 0 until terminal, then the function's status, or the platform's for a failure (504 timeout, 503 no runner, 502 node lost, 499 cancelled).",
      state:
        'pending, assigned, finished (the function answered, whatever its status) or failed (the platform gave up).',
      failure_reason:
        'Why the platform gave up (TIMEOUT, NO_RUNNER, NODE_LOST, CANCELLED); NULL unless failed.',
    },
  );

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
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.run_seconds) FILTER (WHERE r.state = 'finished') AS p95_run_seconds
    FROM analytics.task_runs AS r
    GROUP BY r.account_id, r.function_id, (r.issued_at AT TIME ZONE 'UTC')::date
  `.execute(db);
  await comment(
    db,
    'analytics.function_daily',
    'Per function and UTC day of issue: how many tasks, how they ended, and percentiles of queue wait and run time.',
    {
      account_id: 'Account that owns the function.',
      function_id: 'Function.',
      day: 'UTC calendar day on which the tasks were issued.',
      tasks: 'Tasks issued that day, in any state.',
      finished: 'Of those, tasks the function answered (any HTTP status).',
      succeeded: 'Of the finished, those whose function answered 2xx.',
      failed: 'Of those, tasks the platform gave up on.',
      p50_queue_wait_seconds:
        'Median queue wait of the assigned tasks, in seconds (continuous percentile).',
      p95_queue_wait_seconds: '95th percentile queue wait of the assigned tasks, in seconds.',
      p50_run_seconds: 'Median run time of the finished tasks, in seconds (continuous percentile).',
      p95_run_seconds: '95th percentile run time of the finished tasks, in seconds.',
    },
  );

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
  await comment(
    db,
    'analytics.node_daily',
    'Per node and UTC day of assignment: tasks run (latest attempts only), how they ended, busy time and run-time percentiles.',
    {
      account_id: 'Account that owns the tasks.',
      node_id: 'Node of the latest assignment.',
      day: 'UTC calendar day on which the node accepted the tasks.',
      tasks: 'Tasks whose latest assignment went to this node that day.',
      finished: 'Of those, tasks the function answered.',
      failed: 'Of those, tasks the platform gave up on.',
      busy_seconds: 'Sum of run times of the terminal tasks, in seconds.',
      p50_run_seconds: 'Median run time of the finished tasks, in seconds.',
      p95_run_seconds: '95th percentile run time of the finished tasks, in seconds.',
    },
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropSchema('analytics').ifExists().cascade().execute();
}

async function comment(
  db: Kysely<any>,
  view: string,
  description: string,
  columns: Record<string, string>,
): Promise<void> {
  await sql`COMMENT ON VIEW ${sql.table(view)} IS ${sql.lit(description)}`.execute(db);
  for (const [column, text] of Object.entries(columns)) {
    await sql`COMMENT ON COLUMN ${sql.ref(`${view}.${column}`)} IS ${sql.lit(text)}`.execute(db);
  }
}
