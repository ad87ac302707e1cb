import { sql } from 'kysely';
import type { Compilable, Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { createReadModelTestDatabase } from '../testing/read-model-test-database.js';
import type { ReadModelTestDatabase } from '../testing/read-model-test-database.js';
import { inIndexOrder } from './index-order.js';
import {
  countSchedules,
  findSchedule,
  listSchedules,
  scheduleListQuery,
} from './schedule-queries.js';

// The schedule queries on a real database: scoped by account, deleted schedules left out of the list
// and the count, keyset pages without gaps or repeats, and a list plan that walks its index.

const account = 'a'.repeat(24);
const otherAccount = 'b'.repeat(24);
const fn = 'f'.repeat(24);

let database: ReadModelTestDatabase;
let db: Kysely<ReadModelDatabase>;

beforeAll(async () => {
  database = await createReadModelTestDatabase('schedule_queries');
  db = database.db;
  // 3000 schedules of other accounts, 30 of the account (every third deleted), all at one of a few
  // creation times so that pages cut through ties.
  await sql`
    INSERT INTO api.schedules (schedule_id, account_id, function_id, name, cron, time_zone, query,
      body, active_since, deleted, created_at, last_stream_version)
    SELECT lpad(to_hex(i), 24, '0'),
           CASE WHEN i <= 30 THEN ${account} ELSE lpad(to_hex(i % 89), 24, '9') END,
           ${fn}, 's' || i, '* * * * *', 'UTC', '', '\\x'::bytea, timestamptz '2026-11-30',
           i <= 30 AND i % 3 = 0,
           timestamptz '2026-11-30' + (i % 7) * interval '1 microsecond', 1
    FROM generate_series(1, 3030) AS i
  `.execute(db);
  await sql`ANALYZE api.schedules`.execute(db);
});

afterAll(async () => {
  await database?.drop();
});

test('find is scoped by account and says whether the schedule is deleted', async () => {
  const id = (n: number) => n.toString(16).padStart(24, '0');
  expect(await findSchedule(db, account, id(1))).toMatchObject({
    scheduleId: id(1),
    deleted: false,
  });
  expect(await findSchedule(db, account, id(3))).toMatchObject({ deleted: true });
  expect(await findSchedule(db, otherAccount, id(1))).toBeUndefined();
});

test('list pages hold every live schedule once, newest first; count agrees', async () => {
  const seen: string[] = [];
  let after = null;
  for (;;) {
    const page: Awaited<ReturnType<typeof listSchedules>> = await listSchedules(db, account, {
      limit: 4,
      after,
    });
    seen.push(...page.items.map((item) => item.scheduleId));
    if (page.next === null) break;
    after = page.next;
  }
  const { rows } = await sql<{ schedule_id: string }>`
    SELECT schedule_id FROM api.schedules WHERE account_id = ${account} AND NOT deleted
    ORDER BY created_at DESC, schedule_id DESC`.execute(db);
  expect(seen).toEqual(rows.map((row) => row.schedule_id));
  expect(seen).toHaveLength(20);
  expect(await countSchedules(db, account)).toBe(20);
  expect(await countSchedules(db, otherAccount)).toBe(0);
});

test('the list walks schedules_account_created_idx without sorting', async () => {
  const explained = await plan((trx) =>
    scheduleListQuery(
      trx,
      account,
      { time: '2026-11-30T00:00:00.000004Z', id: 'f'.repeat(24) },
      51,
    ),
  );
  expect(explained).toContain('"Index Name":"schedules_account_created_idx"');
  expect(explained).not.toContain('"Node Type":"Sort"');
});

async function plan(
  query: (trx: Kysely<ReadModelDatabase>) => Compilable<unknown>,
): Promise<string> {
  return inIndexOrder(db, async (trx) => {
    const compiled = query(trx).compile();
    const { rows } = await trx.executeQuery<{ 'QUERY PLAN': unknown }>({
      ...compiled,
      sql: `EXPLAIN (FORMAT JSON) ${compiled.sql}`,
    });
    return JSON.stringify(rows[0]?.['QUERY PLAN']);
  });
}
