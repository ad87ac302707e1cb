/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Every assignment of a task, not only the latest: the tasks projection needs the node and time of
// an attempt that has ended (a task that fails after its last node was lost shows that node), and
// analysts want to see retries.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api.task_attempts')
    .addColumn('task_id', 'char(24)', (column) => column.notNull())
    .addColumn('attempt', 'integer', (column) => column.notNull().check(sql`attempt >= 1`))
    .addColumn('node_id', 'text', (column) => column.notNull())
    .addColumn('assigned_at', 'timestamptz', (column) => column.notNull())
    .addColumn('unassigned_at', 'timestamptz')
    .addColumn('unassign_reason', 'text', (column) =>
      column.check(
        sql`unassign_reason IN ('NODE_LOST', 'REJECTED', 'START_DEADLINE_MISSED', 'NODE_DISABLED')`,
      ),
    )
    .addPrimaryKeyConstraint('task_attempts_pkey', ['task_id', 'attempt'])
    .addCheckConstraint(
      'task_attempts_reason_when_unassigned',
      sql`(unassigned_at IS NULL) = (unassign_reason IS NULL)`,
    )
    .execute();

  await sql`
    CREATE VIEW analytics.task_attempts AS
    SELECT
      a.task_id,
      t.account_id,
      t.function_id,
      a.attempt,
      a.node_id,
      a.assigned_at,
      a.unassigned_at,
      a.unassign_reason,
      EXTRACT(EPOCH FROM a.unassigned_at - a.assigned_at)::double precision AS held_seconds
    FROM api.task_attempts AS a
    JOIN api.tasks AS t ON t.task_id = a.task_id
  `.execute(db);
  await sql`COMMENT ON VIEW analytics.task_attempts IS ${sql.lit(
    'One row per assignment of a task to a node, retries included: when the node accepted it and, if the attempt ended without an outcome, when and why.',
  )}`.execute(db);
  const columns: Record<string, string> = {
    task_id: 'Task id (24 hexadecimal characters).',
    account_id: 'Account that owns the task.',
    function_id: 'Function the task invokes.',
    attempt: 'Attempt number, from 1.',
    node_id: 'Node the task was assigned to.',
    assigned_at: 'When the node accepted the assignment.',
    unassigned_at:
      'When the attempt ended without an outcome (the task went back to the queue, or failed if it was the last attempt); NULL otherwise.',
    unassign_reason:
      'Why the attempt ended: NODE_LOST, REJECTED, START_DEADLINE_MISSED or NODE_DISABLED; NULL unless unassigned.',
    held_seconds: 'unassigned_at - assigned_at in seconds; NULL unless unassigned.',
  };
  for (const [column, text] of Object.entries(columns)) {
    await sql`COMMENT ON COLUMN ${sql.ref(`analytics.task_attempts.${column}`)} IS ${sql.lit(text)}`.execute(
      db,
    );
  }
  // task_runs shows the latest attempt only while it lasts: a task waiting again after an
  // unassignment has no node, as the API shows it; the history is in task_attempts.
  await sql`COMMENT ON COLUMN analytics.task_runs.node_id IS ${sql.lit(
    'Node of the current assignment, or of the last attempt once the task is terminal; NULL while the task waits for a node (also after an unassignment: see analytics.task_attempts).',
  )}`.execute(db);
  await sql`COMMENT ON COLUMN analytics.task_runs.assigned_at IS ${sql.lit(
    'When a node accepted the current assignment, or the last attempt once terminal; NULL while the task waits for a node.',
  )}`.execute(db);

  // Default privileges already cover views created by the role that ran the analyst migration;
  // granting explicitly also covers a database whose migrations run as another role.
  await sql`GRANT SELECT ON analytics.task_attempts TO canopy_analyst`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`COMMENT ON COLUMN analytics.task_runs.node_id IS 'Node of the latest assignment; NULL if the task was never assigned.'`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN analytics.task_runs.assigned_at IS 'When a node accepted the latest assignment; NULL while pending.'`.execute(
    db,
  );
  await sql`DROP VIEW analytics.task_attempts`.execute(db);
  await db.schema.dropTable('api.task_attempts').execute();
}
