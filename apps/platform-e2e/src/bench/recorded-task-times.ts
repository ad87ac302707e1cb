import type pg from 'pg';
import type { RecordedTaskTimes } from './task-stages.js';

// The times the event store and the read models hold for each finished task. `recorded_at` is the
// appending transaction's now() (its start, a moment before commit); `api.tasks.updated_at` is the
// projector's transaction that applied the task's last event. The assignment is the one of the
// attempt that finished.
const RECORDED_TIMES = `
  WITH issued AS (
    SELECT data->>'taskId' AS task_id, (data->>'issuedAt')::timestamptz AS at, recorded_at
    FROM event_store.events WHERE type = 'TaskIssued'
  ), assigned AS (
    SELECT data->>'taskId' AS task_id, (data->>'attempt')::int AS attempt,
           (data->>'assignedAt')::timestamptz AS at, recorded_at
    FROM event_store.events WHERE type = 'TaskAssigned'
  ), finished AS (
    SELECT data->>'taskId' AS task_id, (data->>'attempt')::int AS attempt,
           (data->>'finishedAt')::timestamptz AS at, recorded_at
    FROM event_store.events WHERE type = 'TaskFinished'
  )
  SELECT i.task_id,
         (extract(epoch FROM i.at) * 1000)::float8 AS issued_at,
         (extract(epoch FROM i.recorded_at) * 1000)::float8 AS issued_recorded,
         (extract(epoch FROM a.at) * 1000)::float8 AS assigned_at,
         (extract(epoch FROM a.recorded_at) * 1000)::float8 AS assigned_recorded,
         (extract(epoch FROM f.at) * 1000)::float8 AS finished_at,
         (extract(epoch FROM f.recorded_at) * 1000)::float8 AS finished_recorded,
         (extract(epoch FROM t.updated_at) * 1000)::float8 AS projected
  FROM issued AS i
  JOIN finished AS f ON f.task_id = i.task_id
  JOIN assigned AS a ON a.task_id = f.task_id AND a.attempt = f.attempt
  JOIN api.tasks AS t ON t.task_id = i.task_id AND t.state = 'finished'`;

interface RecordedTimesRow {
  readonly task_id: string;
  readonly issued_at: number;
  readonly issued_recorded: number;
  readonly assigned_at: number;
  readonly assigned_recorded: number;
  readonly finished_at: number;
  readonly finished_recorded: number;
  readonly projected: number;
}

/** Every finished task's recorded times, by task id (read once the projector has caught up). */
export async function readRecordedTaskTimes(db: pg.Pool): Promise<Map<string, RecordedTaskTimes>> {
  const client = await db.connect();
  let rows: RecordedTimesRow[];
  try {
    // The joins are on JSON fields the planner has no statistics for, and the tables were filled
    // moments ago: planned as nested loops, the query ran for minutes over 15 000 tasks where hash
    // joins take a second.
    await client.query('BEGIN');
    await client.query('SET LOCAL enable_nestloop = off');
    ({ rows } = await client.query<RecordedTimesRow>(RECORDED_TIMES));
    await client.query('COMMIT');
  } catch (error) {
    client.release(true);
    throw error;
  }
  client.release();
  return new Map(
    rows.map((row) => [
      row.task_id.trim(),
      {
        issuedAt: row.issued_at,
        issuedRecorded: row.issued_recorded,
        assignedAt: row.assigned_at,
        assignedRecorded: row.assigned_recorded,
        finishedAt: row.finished_at,
        finishedRecorded: row.finished_recorded,
        projected: row.projected,
      },
    ]),
  );
}
