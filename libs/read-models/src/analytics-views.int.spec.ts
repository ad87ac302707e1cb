import { sql } from 'kysely';
import type { NewTaskRow } from './schema/tasks-table.js';
import {
  createReadModelTestDatabase,
  type ReadModelTestDatabase,
} from './testing/read-model-test-database.js';

const account = '0123456789abcdef01234567';
const fnA = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const fnB = 'bbbbbbbbbbbbbbbbbbbbbbbb';

let sequence = 0;
function task(overrides: Partial<NewTaskRow>): NewTaskRow {
  sequence += 1;
  return {
    task_id: sequence.toString(16).padStart(24, '0'),
    account_id: account,
    function_id: fnA,
    schedule_id: null,
    state: 'pending',
    node_id: null,
    timeout_seconds: 60,
    cpu_count: 1,
    mem_size: 256,
    network_latency: 0,
    privileged: false,
    issued_at: '2026-11-29T10:00:00Z',
    last_stream_version: 1,
    ...overrides,
  };
}

function finished(
  issuedAt: string,
  waitSeconds: number,
  runSeconds: number,
  extra: Partial<NewTaskRow> = {},
): NewTaskRow {
  const issued = new Date(issuedAt).getTime();
  return task({
    state: 'finished',
    status: 200,
    progress: 100,
    attempt: 1,
    node_id: 'node-1',
    issued_at: new Date(issued).toISOString(),
    assigned_at: new Date(issued + waitSeconds * 1000).toISOString(),
    finished_at: new Date(issued + (waitSeconds + runSeconds) * 1000).toISOString(),
    ...extra,
  });
}

describe('analytics views', () => {
  let database: ReadModelTestDatabase;

  beforeAll(async () => {
    database = await createReadModelTestDatabase('analytics_views');
    await database.db
      .insertInto('api.tasks')
      .values([
        // function A on 2026-11-29 (UTC): four finished runs, one failed after running, one pending.
        finished('2026-11-29T10:00:00Z', 2, 10),
        finished('2026-11-29T11:00:00Z', 4, 20),
        finished('2026-11-29T12:00:00Z', 6, 30, { status: 500 }),
        // Issued just before midnight, assigned just after: a different day for nodes than for functions.
        finished('2026-11-29T23:59:55Z', 8, 40, { node_id: 'node-2' }),
        task({
          state: 'failed',
          status: 504,
          failure_reason: 'TIMEOUT',
          attempt: 1,
          node_id: 'node-2',
          issued_at: '2026-11-29T13:00:00Z',
          assigned_at: '2026-11-29T13:00:01Z',
          finished_at: '2026-11-29T13:01:01Z',
        }),
        task({ issued_at: '2026-11-29T14:00:00Z' }),
        // The same function on the next UTC day, and another function.
        finished('2026-11-30T00:30:00Z', 1, 5),
        finished('2026-11-29T09:00:00Z', 3, 7, { function_id: fnB }),
        task({
          state: 'failed',
          status: 503,
          failure_reason: 'NO_RUNNER',
          function_id: fnB,
          issued_at: '2026-11-29T09:30:00Z',
          finished_at: '2026-11-29T10:30:00Z',
        }),
        // Cancelled by its owner while it waited: failed, and counted apart.
        task({
          state: 'failed',
          status: 499,
          failure_reason: 'CANCELLED',
          issued_at: '2026-11-30T01:00:00Z',
          finished_at: '2026-11-30T01:00:30Z',
        }),
      ])
      .execute();
  });

  afterAll(async () => {
    await database.drop();
  });

  test('task_runs computes queue wait and run time from the timestamps', async () => {
    const runs = await database.db
      .selectFrom('analytics.task_runs')
      .select(['task_id', 'state', 'queue_wait_seconds', 'run_seconds', 'failure_reason'])
      .orderBy('task_id')
      .execute();
    expect(
      runs.map((run) => [run.state, run.queue_wait_seconds, run.run_seconds, run.failure_reason]),
    ).toEqual([
      ['finished', 2, 10, null],
      ['finished', 4, 20, null],
      ['finished', 6, 30, null],
      ['finished', 8, 40, null],
      ['failed', 1, 60, 'TIMEOUT'],
      ['pending', null, null, null],
      ['finished', 1, 5, null],
      ['finished', 3, 7, null],
      ['failed', null, null, 'NO_RUNNER'],
      ['failed', null, null, 'CANCELLED'],
    ]);
  });

  test('function_daily counts per UTC day and takes percentiles of finished runs', async () => {
    const days = await database.db
      .selectFrom('analytics.function_daily')
      .selectAll()
      .select(sql<string>`day::text`.as('day_text'))
      .orderBy('function_id')
      .orderBy('day')
      .execute();
    expect(days.map(({ day: _day, ...row }) => row)).toEqual([
      {
        account_id: account,
        function_id: fnA,
        day_text: '2026-11-29',
        tasks: 6,
        finished: 4,
        succeeded: 3,
        failed: 1,
        cancelled: 0,
        // Waits of the five assigned tasks: 1, 2, 4, 6, 8.
        p50_queue_wait_seconds: 4,
        p95_queue_wait_seconds: expect.closeTo(7.6, 9),
        // Runs of the four finished tasks: 10, 20, 30, 40 (the timed-out one does not count).
        p50_run_seconds: 25,
        p95_run_seconds: expect.closeTo(38.5, 9),
      },
      {
        account_id: account,
        function_id: fnA,
        day_text: '2026-11-30',
        tasks: 2,
        finished: 1,
        succeeded: 1,
        failed: 1,
        cancelled: 1,
        p50_queue_wait_seconds: 1,
        p95_queue_wait_seconds: 1,
        p50_run_seconds: 5,
        p95_run_seconds: 5,
      },
      {
        account_id: account,
        function_id: fnB,
        day_text: '2026-11-29',
        tasks: 2,
        finished: 1,
        succeeded: 1,
        failed: 1,
        cancelled: 0,
        p50_queue_wait_seconds: 3,
        p95_queue_wait_seconds: 3,
        p50_run_seconds: 7,
        p95_run_seconds: 7,
      },
    ]);
  });

  test('node_daily sums busy time per node and UTC day of assignment', async () => {
    const days = await database.db
      .selectFrom('analytics.node_daily')
      .select(['node_id', 'tasks', 'finished', 'failed', 'busy_seconds', 'p50_run_seconds'])
      .select(sql<string>`day::text`.as('day'))
      .orderBy('node_id')
      .orderBy('day')
      .execute();
    expect(days).toEqual([
      // Runs 10, 20, 30 (function A) and 7 (function B).
      {
        node_id: 'node-1',
        day: '2026-11-29',
        tasks: 4,
        finished: 4,
        failed: 0,
        busy_seconds: 67,
        p50_run_seconds: 15,
      },
      {
        node_id: 'node-1',
        day: '2026-11-30',
        tasks: 1,
        finished: 1,
        failed: 0,
        busy_seconds: 5,
        p50_run_seconds: 5,
      },
      {
        node_id: 'node-2',
        day: '2026-11-29',
        tasks: 1,
        finished: 0,
        failed: 1,
        busy_seconds: 60,
        p50_run_seconds: null,
      },
      {
        node_id: 'node-2',
        day: '2026-11-30',
        tasks: 1,
        finished: 1,
        failed: 0,
        busy_seconds: 40,
        p50_run_seconds: 40,
      },
    ]);
  });

  test('function_versions lists each version with when it was replaced and its policy; task_runs names the version a task ran', async () => {
    const fnC = 'cccccccccccccccccccccccc';
    const retry = {
      maxAttempts: 3,
      backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 30 },
      on: [503],
    };
    const version = (number: number, createdAt: string, timeout: number) => ({
      function_id: fnC,
      version: number,
      account_id: account,
      description: '',
      runtime: { kind: 'process' as const, command: 'echo', args: [String(number)] },
      cpu_count: 0,
      mem_size: 0,
      network_latency: 0,
      privileged: false,
      timeout_seconds: timeout,
      created_at: createdAt,
      // Version 2 raised the priority and added retries.
      ...(number === 2 ? { priority: 8, retry: JSON.stringify(retry) } : {}),
    });
    await database.db
      .insertInto('api.functions')
      .values({
        function_id: fnC,
        account_id: account,
        name: 'versioned',
        description: '',
        lang: '',
        type: '',
        runtime: { kind: 'process', command: 'echo', args: ['2'] },
        timeout_seconds: 20,
        version: 2,
        deleted_at: '2026-11-29T12:00:00Z',
        last_stream_version: 3,
      })
      .execute();
    await database.db
      .insertInto('api.function_versions')
      .values([version(1, '2026-11-29T10:00:00Z', 10), version(2, '2026-11-29T11:00:00Z', 20)])
      .execute();
    // Version 1's task answered 503; version 2's, retried, answered 200.
    const issuedAt = '2026-11-29T11:30:00Z';
    const taskOfVersion1 = finished(issuedAt, 1, 1, {
      function_id: fnC,
      function_version: 1,
      status: 503,
    });
    const taskOfVersion2 = finished(issuedAt, 1, 1, { function_id: fnC, function_version: 2 });
    await database.db.insertInto('api.tasks').values([taskOfVersion1, taskOfVersion2]).execute();

    const versions = await database.db
      .selectFrom('analytics.function_versions')
      .select([
        'version',
        'created_at',
        'replaced_at',
        'deleted_at',
        'timeout_seconds',
        'runtime_kind',
        'priority',
        'max_attempts',
        'retry',
      ])
      .where('function_id', '=', fnC)
      .orderBy('version')
      .execute();
    expect(versions).toEqual([
      {
        version: 1,
        created_at: new Date('2026-11-29T10:00:00Z'),
        replaced_at: new Date('2026-11-29T11:00:00Z'),
        deleted_at: new Date('2026-11-29T12:00:00Z'),
        timeout_seconds: 10,
        runtime_kind: 'process',
        priority: 5,
        max_attempts: 1,
        retry: null,
      },
      {
        version: 2,
        created_at: new Date('2026-11-29T11:00:00Z'),
        replaced_at: null,
        deleted_at: new Date('2026-11-29T12:00:00Z'),
        timeout_seconds: 20,
        runtime_kind: 'process',
        priority: 8,
        max_attempts: 3,
        retry,
      },
    ]);
    const runs = await database.db
      .selectFrom('analytics.task_runs')
      .select(['task_id', 'function_version'])
      .where('function_id', '=', fnC)
      .orderBy('task_id')
      .execute();
    expect(runs).toEqual([
      { task_id: taskOfVersion1.task_id, function_version: 1 },
      { task_id: taskOfVersion2.task_id, function_version: 2 },
    ]);
    // docs/read-models.md's comparison of versions.
    const { rows: compared } = await sql<Record<string, unknown>>`
      SELECT v.function_id, v.version, v.max_attempts,
             count(*)::int AS tasks,
             (count(*) FILTER (WHERE r.status BETWEEN 200 AND 299))::int AS succeeded
      FROM analytics.function_versions AS v
      JOIN analytics.task_runs AS r ON r.function_id = v.function_id AND r.function_version = v.version
      WHERE r.state IN ('finished', 'failed')
      GROUP BY v.function_id, v.version, v.max_attempts ORDER BY v.function_id, v.version
    `.execute(database.db);
    expect(compared.filter((row) => row['function_id'] === fnC)).toEqual([
      { function_id: fnC, version: 1, max_attempts: 1, tasks: 1, succeeded: 0 },
      { function_id: fnC, version: 2, max_attempts: 3, tasks: 1, succeeded: 1 },
    ]);
    const otherTasks = await database.db
      .selectFrom('analytics.task_runs')
      .select('function_version')
      .distinct()
      .where('function_id', '!=', fnC)
      .execute();
    expect(otherTasks).toEqual([{ function_version: 1 }]);
  });

  test('every view and view column is documented', async () => {
    const { rows } = await sql<{ undocumented: string }>`
      SELECT c.relname || coalesce('.' || a.attname, '') AS undocumented
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'analytics'
      LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind = 'v'
        AND (obj_description(c.oid, 'pg_class') IS NULL OR (a.attname IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))
    `.execute(database.db);
    expect(rows).toEqual([]);
  });
});
