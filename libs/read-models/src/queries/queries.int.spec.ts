import { sql } from 'kysely';
import type { Compilable, Kysely } from 'kysely';
import type { NewTaskRow } from '../schema/tasks-table.js';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { createReadModelTestDatabase } from '../testing/read-model-test-database.js';
import type { ReadModelTestDatabase } from '../testing/read-model-test-database.js';
import {
  findFunction,
  findFunctionVersion,
  functionListQuery,
  listFunctions,
} from './function-queries.js';
import type { KeysetKey } from './keyset.js';
import { streamTaskCsvRows, taskCsvChunkQuery } from './task-csv-query.js';
import type { TaskCsvFilter } from './task-csv-query.js';
import { inIndexOrder } from './index-order.js';
import { findTask, findTaskOutcome, listTasks, taskListQuery } from './task-queries.js';
import type { TaskListFilter } from './task-queries.js';

// The gateway's queries on a real database: scoped by account, keyset pages that neither skip nor
// repeat a row (ties on issued_at, microsecond times), filters, and plans that walk an index in
// order without sorting.

const account = 'a'.repeat(24);
const otherAccount = 'b'.repeat(24);
const fnA = 'f'.repeat(23) + '1';
const fnB = 'f'.repeat(23) + '2';
const schedule = 'c'.repeat(24);

let database: ReadModelTestDatabase;
let db: Kysely<ReadModelDatabase>;

const taskId = (n: number) => n.toString(16).padStart(24, '0');

function taskRow(n: number, overrides: Partial<NewTaskRow> = {}): NewTaskRow {
  return {
    task_id: taskId(n),
    account_id: account,
    function_id: fnA,
    schedule_id: null,
    state: 'pending',
    timeout_seconds: 10,
    cpu_count: 1,
    mem_size: 64,
    network_latency: 0,
    privileged: false,
    issued_at: '2024-06-22T21:00:00Z',
    last_stream_version: 1,
    ...overrides,
  };
}

// 40 tasks of the account: several share an issue time, some differ by a microsecond.
const rows: NewTaskRow[] = Array.from({ length: 40 }, (_unused, index) => {
  const n = index + 1;
  const second = Math.floor(index / 3);
  const micro = index % 3 === 2 ? '000001' : '000000';
  const finished = n % 4 === 0;
  return taskRow(n, {
    function_id: n % 2 === 0 ? fnA : fnB,
    schedule_id: n % 5 === 0 ? schedule : null,
    issued_at: `2024-06-${n <= 20 ? '22' : '23'}T21:00:${String(second).padStart(2, '0')}.${micro}Z`,
    state: finished ? 'finished' : 'pending',
    status: finished ? 200 : 0,
    progress: finished ? 100 : n % 100,
    finished_at: finished ? '2024-06-24T00:00:00Z' : null,
  });
});

beforeAll(async () => {
  database = await createReadModelTestDatabase('gateway_queries');
  db = database.db;
  await db.insertInto('api.tasks').values(rows).execute();
  await db
    .insertInto('api.tasks')
    .values(taskRow(1000, { account_id: otherAccount, function_id: fnA }))
    .execute();
  await db
    .insertInto('api.task_results')
    .values(
      rows
        .filter((row) => row.state === 'finished')
        .map((row) => ({
          task_id: row.task_id,
          status: 200,
          content_type: 'text/plain',
          headers: { 'x-n': row.task_id },
          body: Buffer.from(`body of ${row.task_id}`),
          finished_at: '2024-06-24T00:00:00Z',
        })),
    )
    .execute();
});

afterAll(async () => {
  await database?.drop();
});

/** Every row of the account matching the filter, in the list's order (newest first). */
async function expectedOrder(filter: TaskListFilter): Promise<string[]> {
  const all = await db
    .selectFrom('api.tasks')
    .select(['task_id', 'function_id', 'status', 'issued_at'])
    .where('account_id', '=', account)
    .execute();
  return all
    .filter((row) => filter.functionId === undefined || row.function_id === filter.functionId)
    .filter((row) => filter.status === undefined || row.status === filter.status)
    .filter((row) => filter.issuedFrom === undefined || row.issued_at >= filter.issuedFrom)
    .filter((row) => filter.issuedBefore === undefined || row.issued_at < filter.issuedBefore)
    .sort((left, right) =>
      // Date drops the microseconds: compare the ids the database sorted within a millisecond by
      // reading the order back from PostgreSQL instead.
      left.issued_at.getTime() !== right.issued_at.getTime()
        ? right.issued_at.getTime() - left.issued_at.getTime()
        : 0,
    )
    .map((row) => row.task_id);
}

async function allPages(filter: TaskListFilter, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let after: KeysetKey | null = null;
  for (;;) {
    const page = await listTasks(db, account, filter, { limit, after });
    pages.push(page.items.map((item) => item.taskId));
    if (page.next === null) return pages;
    after = page.next;
  }
}

async function databaseOrder(filter: TaskListFilter): Promise<string[]> {
  const { items } = await listTasks(db, account, filter, { limit: 500 });
  return items.map((item) => item.taskId);
}

describe('task list', () => {
  test.each([
    ['no filter', {}],
    ['a function', { functionId: fnA }],
    ['a status', { status: 200 }],
    ['not finished', { status: 0 }],
    [
      'a time range',
      {
        issuedFrom: new Date('2024-06-22T21:00:03Z'),
        issuedBefore: new Date('2024-06-23T00:00:00Z'),
      },
    ],
    [
      'everything at once',
      { functionId: fnB, status: 0, issuedFrom: new Date('2024-06-22T00:00:00Z') },
    ],
  ] as [string, TaskListFilter][])(
    'pages through %s without skipping or repeating a task',
    async (_name, filter) => {
      const expected = await expectedOrder(filter);
      const inOneGo = await databaseOrder(filter);
      expect([...inOneGo].sort()).toEqual([...expected].sort());
      for (const limit of [1, 2, 7]) {
        const pages = await allPages(filter, limit);
        expect(pages.flat()).toEqual(inOneGo);
        expect(pages.slice(0, -1).every((page) => page.length === limit)).toBe(true);
      }
    },
  );

  test('is newest first, ties broken by task id descending, microseconds respected', async () => {
    const { rows: ordered } = await sql<{ task_id: string }>`
      SELECT task_id FROM api.tasks WHERE account_id = ${account}
      ORDER BY issued_at DESC, task_id DESC
    `.execute(db);
    expect(await databaseOrder({})).toEqual(ordered.map((row) => row.task_id));
    // Tasks 3 and 2 are issued in the same millisecond, 3 one microsecond later.
    const order = await databaseOrder({});
    expect(order.indexOf(taskId(3))).toBeLessThan(order.indexOf(taskId(2)));
  });

  test('shows progress, status and issue time, and never another account’s tasks', async () => {
    const { items } = await listTasks(db, account, {}, { limit: 500 });
    expect(items).toHaveLength(40);
    expect(items.find((item) => item.taskId === taskId(4))).toEqual({
      taskId: taskId(4),
      issuedAt: new Date('2024-06-22T21:00:01Z'),
      progress: 100,
      status: 200,
    });
    expect(
      (await listTasks(db, otherAccount, {}, { limit: 500 })).items.map((item) => item.taskId),
    ).toEqual([taskId(1000)]);
  });
});

describe('one task', () => {
  test('is found in its account only', async () => {
    expect(await findTask(db, account, taskId(4))).toMatchObject({
      taskId: taskId(4),
      functionId: fnA,
      state: 'finished',
      status: 200,
      timeoutSeconds: 10,
      requirements: { cpuCount: 1, memSize: 64, networkLatency: 0, privileged: false },
    });
    expect(await findTask(db, otherAccount, taskId(4))).toBeUndefined();
    expect(await findTaskOutcome(db, otherAccount, taskId(4))).toBeUndefined();
  });

  test('its outcome carries the function’s response once finished', async () => {
    expect(await findTaskOutcome(db, account, taskId(4))).toEqual({
      state: 'finished',
      progress: 100,
      status: 200,
      failureReason: null,
      response: {
        status: 200,
        contentType: 'text/plain',
        headers: { 'x-n': taskId(4) },
        body: Buffer.from(`body of ${taskId(4)}`),
      },
    });
    expect(await findTaskOutcome(db, account, taskId(1))).toMatchObject({
      state: 'pending',
      response: null,
    });
  });
});

describe('CSV rows', () => {
  async function csvIds(filter: Parameters<typeof streamTaskCsvRows>[2], chunkSize: number) {
    const ids: string[] = [];
    for await (const row of streamTaskCsvRows(db, account, filter, chunkSize)) ids.push(row.taskId);
    return ids;
  }

  test('are the function’s tasks oldest first, whatever the chunk size', async () => {
    const { rows: ordered } = await sql<{ task_id: string }>`
      SELECT task_id FROM api.tasks WHERE account_id = ${account} AND function_id = ${fnA}
      ORDER BY issued_at, task_id
    `.execute(db);
    for (const chunkSize of [1, 3, 20, 1000]) {
      expect(await csvIds({ functionId: fnA }, chunkSize)).toEqual(
        ordered.map((row) => row.task_id),
      );
    }
  });

  test('filter by schedule and by issue day', async () => {
    expect(await csvIds({ functionId: fnA, scheduleId: schedule }, 2)).toEqual(
      [10, 20, 30, 40].map(taskId),
    );
    expect(
      await csvIds(
        {
          functionId: fnA,
          issuedFrom: new Date('2024-06-23T00:00:00Z'),
          issuedBefore: new Date('2024-06-24T00:00:00Z'),
        },
        4,
      ),
    ).toEqual([22, 24, 26, 28, 30, 32, 34, 36, 38, 40].map(taskId));
    expect(await csvIds({ functionId: fnA, scheduleId: 'd'.repeat(24) }, 2)).toEqual([]);
  });

  test('carry the response of finished tasks only, and never another account’s', async () => {
    const all = [];
    for await (const row of streamTaskCsvRows(db, account, { functionId: fnA })) all.push(row);
    expect(all.find((row) => row.taskId === taskId(4))).toEqual({
      taskId: taskId(4),
      issuedAt: new Date('2024-06-22T21:00:01Z'),
      status: 200,
      contentType: 'text/plain',
      body: Buffer.from(`body of ${taskId(4)}`),
    });
    expect(all.find((row) => row.taskId === taskId(2))).toMatchObject({
      status: 0,
      contentType: null,
      body: null,
    });
    const others = [];
    for await (const row of streamTaskCsvRows(db, otherAccount, { functionId: fnA }))
      others.push(row.taskId);
    expect(others).toEqual([taskId(1000)]);
  });
});

describe('functions', () => {
  const retried = {
    maxAttempts: 3,
    backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 60 },
    on: [503],
  };
  const definition = (n: number) => ({
    function_id: n.toString(16).padStart(24, 'e'),
    account_id: account,
    name: `fn${n}`,
    description: null,
    lang: 'sh',
    type: 'process',
    runtime: JSON.stringify({ kind: 'process', command: 'echo' }),
    cpu_count: 2,
    mem_size: 256,
    network_latency: 5,
    privileged: true,
    timeout_seconds: 30,
    created_at: new Date(Date.UTC(2024, 0, n)),
    last_stream_version: 1,
  });

  beforeAll(async () => {
    await db
      .insertInto('api.functions')
      .values([
        ...[1, 2, 3].map(definition),
        // Deleted: found by its id (its tasks stay readable), never listed.
        { ...definition(4), deleted_at: new Date(Date.UTC(2024, 1, 1)), last_stream_version: 2 },
        // At version 2; version 1 is in api.function_versions too.
        {
          ...definition(5),
          version: 2,
          timeout_seconds: 60,
          priority: 8,
          retry: JSON.stringify(retried),
          updated_at: new Date(Date.UTC(2024, 0, 6)),
          last_stream_version: 2,
        },
      ])
      .execute();
    const version = (
      number: number,
      timeout: number,
      createdAt: Date,
      policy: { priority: number; retry: string | null },
    ) => ({
      function_id: definition(5).function_id,
      version: number,
      account_id: account,
      description: `v${number}`,
      runtime: { kind: 'process' as const, command: 'echo', args: [`v${number}`] },
      cpu_count: 2,
      mem_size: 256,
      network_latency: 5,
      privileged: true,
      timeout_seconds: timeout,
      ...policy,
      created_at: createdAt,
    });
    await db
      .insertInto('api.function_versions')
      .values([
        version(1, 30, new Date(Date.UTC(2024, 0, 5)), { priority: 5, retry: null }),
        version(2, 60, new Date(Date.UTC(2024, 0, 6)), {
          priority: 8,
          retry: JSON.stringify(retried),
        }),
      ])
      .execute();
  });

  test('one function, as registered, in its account only', async () => {
    const id = definition(2).function_id;
    expect(await findFunction(db, account, id)).toEqual({
      functionId: id,
      name: 'fn2',
      description: '',
      lang: 'sh',
      type: 'process',
      capabilities: { timeout: 30, cpuCount: 2, memSize: 256, networkLatency: 5, privileged: true },
      runtime: { kind: 'process', command: 'echo' },
      priority: 5,
      retry: null,
      registeredAt: new Date(Date.UTC(2024, 0, 2)),
      version: 1,
      versionCreatedAt: expect.any(Date),
      deletedAt: null,
      streamVersion: 1,
    });
    expect(await findFunction(db, otherAccount, id)).toBeUndefined();
  });

  test('a deleted function is found with the time it was deleted', async () => {
    const found = await findFunction(db, account, definition(4).function_id);
    expect(found?.deletedAt).toEqual(new Date(Date.UTC(2024, 1, 1)));
  });

  test('each version of a function, in its account only', async () => {
    const id = definition(5).function_id;
    const first = await findFunctionVersion(db, account, id, 1);
    expect(first).toMatchObject({
      functionId: id,
      name: 'fn5',
      description: 'v1',
      capabilities: { timeout: 30 },
      runtime: { kind: 'process', command: 'echo', args: ['v1'] },
      registeredAt: new Date(Date.UTC(2024, 0, 5)),
      version: 1,
      versionCreatedAt: new Date(Date.UTC(2024, 0, 5)),
      streamVersion: 2,
      // Version 1's policy, not the current one.
      priority: 5,
      retry: null,
    });
    expect(await findFunctionVersion(db, account, id, 2)).toMatchObject({
      capabilities: { timeout: 60 },
      priority: 8,
      retry: retried,
    });
    expect(await findFunctionVersion(db, account, id, 3)).toBeUndefined();
    expect(await findFunctionVersion(db, otherAccount, id, 1)).toBeUndefined();
  });

  test('the list is newest first, in pages, without deleted functions', async () => {
    const first = await listFunctions(db, account, { limit: 2 });
    expect(first.items.map((item) => item.name)).toEqual(['fn5', 'fn3']);
    const second = await listFunctions(db, account, { limit: 2, after: first.next });
    expect(second.items.map((item) => item.name)).toEqual(['fn2', 'fn1']);
    expect(second.next).toBeNull();
    expect((await listFunctions(db, otherAccount, { limit: 2 })).items).toEqual([]);
  });
});

// With a realistic volume (so the planner has a choice) every list and CSV query must walk an index
// in its order: an Index Scan (forward or backward) under the Limit, and no Sort anywhere.
describe('plans', () => {
  beforeAll(async () => {
    await sql`
      INSERT INTO api.tasks (task_id, account_id, function_id, schedule_id, state, status, progress,
        timeout_seconds, cpu_count, mem_size, network_latency, privileged, issued_at, last_stream_version)
      SELECT lpad(to_hex(100000 + i), 24, '0'),
             CASE WHEN i % 10 = 0 THEN ${account} ELSE lpad(to_hex(i % 97), 24, '9') END,
             CASE WHEN i % 20 = 0 THEN ${fnA} ELSE lpad(to_hex(i % 13), 24, '7') END,
             CASE WHEN i % 40 = 0 THEN ${schedule} END,
             CASE WHEN i % 3 = 0 THEN 'finished' ELSE 'pending' END,
             CASE WHEN i % 3 = 0 THEN 200 ELSE 0 END,
             0, 10, 0, 0, 0, false,
             timestamptz '2025-01-01' + i * interval '1 second', 1
      FROM generate_series(1, 50000) AS i
    `.execute(db);
    await sql`
      INSERT INTO api.task_results (task_id, status, content_type, body, finished_at)
      SELECT task_id, 200, 'text/plain', '\\x00'::bytea, now() FROM api.tasks WHERE state = 'finished'
      ON CONFLICT (task_id) DO NOTHING
    `.execute(db);
    await sql`
      INSERT INTO api.functions (function_id, account_id, name, lang, type, runtime, timeout_seconds,
        created_at, last_stream_version)
      SELECT 'd' || lpad(to_hex(i), 23, '0'), CASE WHEN i % 10 = 0 THEN ${account} ELSE ${otherAccount} END,
             'f', '', '', '{}'::jsonb, 1, timestamptz '2025-01-01' + i * interval '1 second', 1
      FROM generate_series(1, 5000) AS i
    `.execute(db);
    await sql`ANALYZE api.tasks`.execute(db);
    await sql`ANALYZE api.task_results`.execute(db);
    await sql`ANALYZE api.functions`.execute(db);
  });

  // Explains the query as the queries run it: in inIndexOrder.
  async function plan(
    query: (trx: Kysely<ReadModelDatabase>) => Compilable<unknown>,
  ): Promise<string> {
    return inIndexOrder(db, async (trx) => {
      const compiled = query(trx).compile();
      const { rows: explained } = await trx.executeQuery<{ 'QUERY PLAN': unknown }>({
        ...compiled,
        sql: `EXPLAIN (FORMAT JSON) ${compiled.sql}`,
      });
      return JSON.stringify(explained[0]?.['QUERY PLAN']);
    });
  }

  const after: KeysetKey = { time: '2025-01-01T10:00:00.000000Z', id: 'f'.repeat(24) };
  const range = {
    issuedFrom: new Date('2024-01-01T00:00:00Z'),
    issuedBefore: new Date('2026-01-01T00:00:00Z'),
  };

  test.each([
    ['the task list', {}, 'tasks_account_issued_idx'],
    ['the task list by function', { functionId: fnA }, 'tasks_account_function_issued_idx'],
    ['the task list by status', { status: 200 }, 'tasks_account_status_issued_idx'],
    ['the task list by time', range, 'tasks_account_issued_idx'],
  ] as [string, TaskListFilter, string][])(
    '%s uses %s without sorting',
    async (_name, filter, index) => {
      for (const cursor of [null, after]) {
        const explained = await plan((trx) => taskListQuery(trx, account, filter, cursor, 51));
        expect(explained).toContain(`"Index Name":"${index}"`);
        expect(explained).not.toContain('"Node Type":"Sort"');
      }
    },
  );

  test.each([
    ['a function', { functionId: fnA }, 'tasks_account_function_issued_idx'],
    ['a function and days', { functionId: fnA, ...range }, 'tasks_account_function_issued_idx'],
    // Either index walks a schedule's tasks in order: by schedule filtering the function, or back.
    [
      'a schedule',
      { functionId: fnA, scheduleId: schedule },
      /"Index Name":"tasks_account_(schedule|function)_issued_idx"/,
    ],
  ] as [string, TaskCsvFilter, string | RegExp][])(
    'a CSV chunk of %s walks its index without sorting',
    async (_name, filter, index) => {
      for (const cursor of [null, after]) {
        const explained = await plan((trx) =>
          taskCsvChunkQuery(trx, account, filter, cursor, 1000),
        );
        expect(explained).toMatch(typeof index === 'string' ? `"Index Name":"${index}"` : index);
        expect(explained).toContain('"Index Name":"task_results_pkey"');
        expect(explained).not.toContain('"Node Type":"Sort"');
      }
    },
  );

  test('the function list uses functions_account_created_idx without sorting', async () => {
    for (const cursor of [null, after]) {
      const explained = await plan((trx) => functionListQuery(trx, account, cursor, 51));
      expect(explained).toContain('"Index Name":"functions_account_created_idx"');
      expect(explained).not.toContain('"Node Type":"Sort"');
    }
  });
});
