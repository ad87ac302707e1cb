import { startPrivateNats } from '@canopy/local-services/testing';
import type { PrivateNats } from '@canopy/local-services/testing';
import { sql } from 'kysely';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { SchedulerFixture, objectId } from '../testing/scheduler-fixture.js';

// IssueTaskBatch against a real scheduler, event store and NATS.

let nats: PrivateNats;
let fixture: SchedulerFixture;

beforeAll(async () => {
  nats = await startPrivateNats();
  fixture = await SchedulerFixture.start(nats.url, { MAX_WAITING_TASKS_PER_ACCOUNT: '1100' });
});

afterAll(async () => {
  await fixture.close();
  await nats.stop();
});

function batchOf(fn: { functionId: string; accountId: string }, size: number) {
  return {
    accountId: fn.accountId,
    functionId: fn.functionId,
    issuedAt: new Date().toISOString(),
    tasks: Array.from({ length: size }, (_, index) => ({
      taskId: objectId(),
      request: {
        query: `n=${index}`,
        contentType: 'text/plain',
        body: Buffer.from(`task ${index}`).toString('base64'),
      },
    })),
  };
}

test('a batch records every task, and answers each in order once they are in the store', async () => {
  const fn = await fixture.registerFunction();
  const batch = batchOf(fn, 1000);
  const reply = await fixture.issueBatch(batch);
  expect(reply).toEqual({
    ok: true,
    outcomes: batch.tasks.map(({ taskId }) => ({ ok: true, taskId })),
  });
  for (const index of [0, 499, 999]) {
    const task = batch.tasks[index];
    if (task === undefined) throw new Error('no such task');
    const [issued] = await fixture.taskEvents(task.taskId);
    expect(issued).toMatchObject({
      type: 'TaskIssued',
      data: {
        taskId: task.taskId,
        functionId: fn.functionId,
        accountId: fn.accountId,
        request: task.request,
        issuedAt: batch.issuedAt,
      },
    });
  }
  // Appended together: the 1000 events share a handful of transactions, not one each.
  const db = new Kysely<never>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fixture.database.url }) }),
  });
  try {
    const { rows } = await sql<{ transactions: string }>`
      SELECT count(DISTINCT transaction_id)::text AS transactions FROM event_store.events
      WHERE type = 'TaskIssued' AND data->>'functionId' = ${fn.functionId}`.execute(db);
    expect(Number(rows[0]?.transactions)).toBeLessThanOrEqual(10);
  } finally {
    await db.destroy();
  }
});

test('a repeated batch is the same tasks: no second TaskIssued; a changed task is refused alone', async () => {
  const fn = await fixture.registerFunction();
  const batch = batchOf(fn, 3);
  const first = await fixture.issueBatch(batch);
  const [one, two, three] = batch.tasks;
  if (one === undefined || two === undefined || three === undefined) throw new Error('no tasks');
  const changed = { ...two, request: { ...two.request, query: 'changed' } };
  const again = await fixture.issueBatch({ ...batch, tasks: [one, changed, three] });
  expect(first).toMatchObject({ ok: true });
  expect(again).toEqual({
    ok: true,
    outcomes: [
      { ok: true, taskId: one.taskId },
      {
        ok: false,
        error: { code: 'TASK_ALREADY_ISSUED', message: expect.any(String) as string },
        retry: false,
      },
      { ok: true, taskId: three.taskId },
    ],
  });
  for (const task of batch.tasks) {
    expect(await fixture.taskEventTypes(task.taskId)).toEqual(['TaskIssued']);
  }
});

test("an unknown function, or another account's, refuses the whole batch and records nothing", async () => {
  const fn = await fixture.registerFunction();
  for (const target of [
    { functionId: objectId(), accountId: fn.accountId },
    { functionId: fn.functionId, accountId: objectId() },
  ]) {
    const batch = batchOf(target, 2);
    expect(await fixture.issueBatch(batch)).toMatchObject({
      ok: false,
      error: { code: 'FUNCTION_NOT_FOUND' },
    });
    for (const task of batch.tasks) expect(await fixture.taskEventTypes(task.taskId)).toEqual([]);
  }
});

test('malformed batches are refused, naming the field', async () => {
  const fn = await fixture.registerFunction();
  const batch = batchOf(fn, 2);
  const [task] = batch.tasks;
  expect(await fixture.issueBatch('not json')).toMatchObject({ ok: false });
  expect(await fixture.issueBatch({ ...batch, tasks: [] })).toMatchObject({
    ok: false,
    error: { code: 'CONTRACT_VIOLATION', field: 'tasks' },
  });
  expect(
    await fixture.issueBatch({ ...batch, tasks: task === undefined ? [] : [task, task] }),
  ).toMatchObject({ ok: false, error: { code: 'CONTRACT_VIOLATION', field: 'tasks' } });
  expect(await fixture.issueBatch({ ...batch, tasks: batchOf(fn, 1001).tasks })).toMatchObject({
    ok: false,
    error: { code: 'CONTRACT_VIOLATION', field: 'tasks' },
  });
});
