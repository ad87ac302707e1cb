import { sql } from 'kysely';
import {
  createReadModelTestDatabase,
  type ReadModelTestDatabase,
} from '../testing/read-model-test-database.js';
import { StatementCounter } from '../testing/statement-counter.js';
import { writeTogether } from './write-together.js';

// Ids are 24 characters, as the tables store them.
const ACCOUNT = 'a'.repeat(24);
const FUNCTION = 'f'.repeat(24);

let database: ReadModelTestDatabase;

beforeAll(async () => {
  database = await createReadModelTestDatabase('write_together');
});

afterAll(async () => {
  await database?.drop();
});

beforeEach(async () => {
  await sql`TRUNCATE api.account_task_counters, api.function_task_counters`.execute(database.db);
});

async function counters(): Promise<{ accounts: unknown[]; functions: unknown[] }> {
  const accounts = await database.db
    .selectFrom('api.account_task_counters')
    .select(['account_id', 'pending'])
    .execute();
  const functions = await database.db
    .selectFrom('api.function_task_counters')
    .select(['function_id', 'pending'])
    .execute();
  return { accounts, functions };
}

test('writes to different tables run as one statement, and every one of them lands', async () => {
  const counter = new StatementCounter();
  await database.db
    .withPlugin(counter)
    .transaction()
    .execute((trx) =>
      writeTogether(trx, [
        trx
          .insertInto('api.account_task_counters')
          .values({ account_id: ACCOUNT, pending: 2, completed: 0 }),
        undefined,
        trx
          .insertInto('api.function_task_counters')
          .values({ function_id: FUNCTION, account_id: ACCOUNT, pending: 3, completed: 0 }),
      ]),
    );

  expect(counter.count).toBe(1);
  expect(await counters()).toEqual({
    accounts: [{ account_id: ACCOUNT, pending: '2' }],
    functions: [{ function_id: FUNCTION, pending: '3' }],
  });
});

test('one write that fails takes the others with it', async () => {
  const failing = database.db.transaction().execute((trx) =>
    writeTogether(trx, [
      trx
        .insertInto('api.account_task_counters')
        .values({ account_id: ACCOUNT, pending: 1, completed: 0 }),
      // NOT NULL violated.
      trx
        .insertInto('api.function_task_counters')
        .values({ function_id: FUNCTION, account_id: sql<string>`NULL`, pending: 1, completed: 0 }),
    ]),
  );

  await expect(failing).rejects.toThrow(/null value/);
  expect(await counters()).toEqual({ accounts: [], functions: [] });
});

test('nothing to write runs no statement', async () => {
  const counter = new StatementCounter();
  await database.db
    .withPlugin(counter)
    .transaction()
    .execute((trx) => writeTogether(trx, [undefined]));

  expect(counter.count).toBe(0);
});
