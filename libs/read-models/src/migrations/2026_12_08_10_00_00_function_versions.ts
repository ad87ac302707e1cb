/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Functions have versions (FunctionChanged) and can be deleted (FunctionDeleted); each task records
// the version it was issued against (TaskIssued.functionVersion, 1 for events older than versions).
// api.functions keeps the current version and when the function was deleted; api.function_versions
// keeps every version, so `GET /v1/function/:id?version=N` reads one without folding the stream.
// Rows already projected are version 1 (the columns' default): a function could not change before
// this migration.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api.functions')
    .addColumn('version', 'integer', (column) =>
      column
        .notNull()
        .defaultTo(1)
        .check(sql`version >= 1`),
    )
    .addColumn('deleted_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('api.function_versions')
    .addColumn('function_id', 'char(24)', (column) => column.notNull())
    .addColumn('version', 'integer', (column) => column.notNull().check(sql`version >= 1`))
    .addColumn('account_id', 'char(24)', (column) => column.notNull())
    .addColumn('description', 'text', (column) => column.notNull())
    .addColumn('runtime', 'jsonb', (column) => column.notNull())
    .addColumn('cpu_count', 'integer', (column) => column.notNull().check(sql`cpu_count >= 0`))
    .addColumn('mem_size', 'integer', (column) => column.notNull().check(sql`mem_size >= 0`))
    .addColumn('network_latency', 'integer', (column) =>
      column.notNull().check(sql`network_latency >= 0`),
    )
    .addColumn('privileged', 'boolean', (column) => column.notNull())
    .addColumn('timeout_seconds', 'integer', (column) =>
      column.notNull().check(sql`timeout_seconds > 0`),
    )
    .addColumn('created_at', 'timestamptz', (column) => column.notNull())
    .addPrimaryKeyConstraint('function_versions_pkey', ['function_id', 'version'])
    .execute();
  await sql`
    INSERT INTO api.function_versions (function_id, version, account_id, description, runtime,
      cpu_count, mem_size, network_latency, privileged, timeout_seconds, created_at)
    SELECT function_id, 1, account_id, coalesce(description, ''), runtime, cpu_count, mem_size,
      network_latency, privileged, timeout_seconds, created_at
    FROM api.functions
  `.execute(db);

  await db.schema
    .alterTable('api.tasks')
    .addColumn('function_version', 'integer', (column) =>
      column
        .notNull()
        .defaultTo(1)
        .check(sql`function_version >= 1`),
    )
    .execute();

  // A column added at the end of the view keeps the views built on it valid.
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
      t.function_version
    FROM api.tasks AS t
  `.execute(db);
  await sql`COMMENT ON COLUMN analytics.task_runs.function_version IS ${sql.lit(
    'Version of the function the task was issued against and ran (1 for a function never changed); see analytics.function_versions.',
  )}`.execute(db);

  await sql`
    CREATE VIEW analytics.function_versions AS
    SELECT
      v.account_id,
      v.function_id,
      v.version,
      v.created_at,
      lead(v.created_at) OVER (PARTITION BY v.function_id ORDER BY v.version) AS replaced_at,
      f.deleted_at,
      v.timeout_seconds,
      v.cpu_count,
      v.mem_size,
      v.network_latency,
      v.privileged,
      v.runtime ->> 'kind' AS runtime_kind
    FROM api.function_versions AS v
    JOIN api.functions AS f ON f.function_id = v.function_id
  `.execute(db);
  await sql`COMMENT ON VIEW analytics.function_versions IS ${sql.lit(
    'One row per version of a function: when it was made and replaced, what it required of a node, and which kind of runtime it had. Join analytics.task_runs on (function_id, function_version = version) to compare versions.',
  )}`.execute(db);
  const columns: Record<string, string> = {
    account_id: 'Account that owns the function.',
    function_id: 'Function.',
    version: 'Version number: 1 when registered, one more for each change.',
    created_at: 'When this version was made (registered, or changed to it).',
    replaced_at: 'When the next version replaced it; NULL for the current version.',
    deleted_at: 'When the function was deleted (it takes no new tasks); NULL while it is not.',
    timeout_seconds: 'How long one invocation may run, in seconds.',
    cpu_count: 'CPUs a node must have.',
    mem_size: 'Memory a node must have, in MiB.',
    network_latency: 'Largest network latency a node may have, in ms; 0 for no requirement.',
    privileged: 'Whether a node must be privileged.',
    runtime_kind: 'How a node runs it: process, persistent or http.',
  };
  for (const [column, text] of Object.entries(columns)) {
    await sql`COMMENT ON COLUMN ${sql.ref(`analytics.function_versions.${column}`)} IS ${sql.lit(text)}`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW analytics.function_versions`.execute(db);
  // A view cannot lose a column by being replaced: task_runs and the views over it are built again
  // as they were (their comments are not restored).
  await sql`DROP VIEW analytics.function_daily, analytics.node_daily, analytics.task_runs`.execute(
    db,
  );
  await sql`
    CREATE VIEW analytics.task_runs AS
    SELECT t.task_id, t.account_id, t.function_id, t.schedule_id, t.node_id, t.attempt, t.issued_at,
      t.assigned_at, t.finished_at,
      EXTRACT(EPOCH FROM t.assigned_at - t.issued_at)::double precision AS queue_wait_seconds,
      EXTRACT(EPOCH FROM t.finished_at - t.assigned_at)::double precision AS run_seconds,
      t.status, t.state, t.failure_reason
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
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.run_seconds) FILTER (WHERE r.state = 'finished') AS p95_run_seconds
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
  await db.schema.alterTable('api.tasks').dropColumn('function_version').execute();
  await db.schema.dropTable('api.function_versions').execute();
  await db.schema
    .alterTable('api.functions')
    .dropColumn('version')
    .dropColumn('deleted_at')
    .execute();
}
