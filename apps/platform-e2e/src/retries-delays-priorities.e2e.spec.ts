import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@canopy/async-testing';
import { taskStreamId } from '@canopy/contracts';
import { createReadModelDb } from '@canopy/read-models';
import type { ReadModelDatabase } from '@canopy/read-models';
import { sql, type Kysely } from 'kysely';
import { stackForFile } from './testing/stack-for-file.js';

// A function's retries of its failed answers, a task held until its Canopy-Not-Before, and the queue
// taking the highest priority first, all on real processes. One node with one slot, so the order
// in which tasks start is the queue's order.

const e2e = stackForFile({ label: 'retries' });

let token = '';
let db: Kysely<ReadModelDatabase>;
let runDir = '';

beforeAll(async () => {
  const { stack } = e2e;
  runDir = mkdtempSync(join(tmpdir(), 'canopy-retries-'));
  db = createReadModelDb(stack.databaseUrl);
  ({ token } = await stack.signUp('retries'));
  await stack.startNode({ slots: 1 });
}, 120_000);

afterAll(async () => {
  await db.destroy();
  rmSync(runDir, { recursive: true, force: true });
});

/**
 * A process function that records each run (its CANOPY_ATTEMPT) in a file named after the task and
 * answers `status` until its `succeedOnRun`-th run, then 200.
 */
function countingRuntime(status: number, succeedOnRun: number) {
  const script = [
    'runs="$RUN_DIR/$CANOPY_TASK_ID"',
    'echo "$CANOPY_ATTEMPT" >> "$runs"',
    'n=$(wc -l < "$runs" | tr -d " ")',
    `if [ "$n" -lt ${succeedOnRun} ]; then`,
    `  printf '{"status":${status},"body":"run %s failed"}' "$n"`,
    'else',
    `  printf '{"status":200,"body":"ok after %s runs"}' "$n"`,
    'fi',
  ].join('\n');
  return {
    kind: 'process',
    command: 'sh',
    args: ['-c', script],
    env: { RUN_DIR: runDir },
    envelope: true,
  };
}

async function issue(functionId: string, headers: Record<string, string> = {}): Promise<string> {
  const issued = await e2e.stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
    headers,
  });
  expect(issued.status).toBe(201);
  return issued.body.id;
}

async function resultOf(taskId: string): Promise<{ status: number; text: string }> {
  return eventually(async () => {
    const answer = await e2e.stack.request(`/v1/task/${taskId}/result?wait=20`, { token });
    expect(answer.status).not.toBe(202);
    return { status: answer.status, text: await answer.text() };
  }, 60_000);
}

async function eventsOf(taskId: string) {
  const events = await e2e.stack.store.readStream(taskStreamId(taskId));
  return events.map((event) => ({ type: event.type, data: event.data as Record<string, unknown> }));
}

const fastBackoff = { initialSeconds: 0.2, multiplier: 2, maxSeconds: 1 };

e2e.test(
  'a function failing twice then succeeding under maxAttempts 3 ends 200 after three attempts',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'flaky',
      runtime: countingRuntime(500, 3),
      retry: { maxAttempts: 3, backoff: fastBackoff, on: ['5xx'] },
    });
    const taskId = await issue(functionId);

    expect(await resultOf(taskId)).toEqual({ status: 200, text: 'ok after 3 runs' });
    // Three runs, each under its own attempt number.
    expect(readFileSync(join(runDir, taskId), 'utf8').trim().split('\n')).toEqual(['1', '2', '3']);

    const events = await eventsOf(taskId);
    expect(events.map((event) => event.type)).toEqual([
      'TaskIssued',
      'TaskAssigned',
      'TaskAttemptFailed',
      'TaskAssigned',
      'TaskAttemptFailed',
      'TaskAssigned',
      'TaskFinished',
    ]);
    const failures = events.filter((event) => event.type === 'TaskAttemptFailed');
    expect(failures.map((event) => [event.data['attempt'], event.data['status']])).toEqual([
      [1, 500],
      [2, 500],
    ]);
    // Each retry waited for its backoff: the next assignment is not before the failure's retryAt.
    const assignments = events.filter((event) => event.type === 'TaskAssigned');
    for (const [index, failure] of failures.entries()) {
      const next = assignments[index + 1];
      expect(Date.parse(String(next?.data['assignedAt']))).toBeGreaterThanOrEqual(
        Date.parse(String(failure.data['retryAt'])),
      );
    }

    // The task's history shows the three attempts and the two failed answers (status only).
    const history = await stack.requestJson<{ type: string; data: Record<string, unknown> }[]>(
      `/v1/task/${taskId}/events`,
      { token },
    );
    expect(history.status).toBe(200);
    expect(
      history.body
        .filter((entry) => entry.type === 'TaskAttemptFailed')
        .map((entry) => [entry.data['attempt'], entry.data['status']]),
    ).toEqual([
      [1, 500],
      [2, 500],
    ]);
    expect(history.body.filter((entry) => entry.type === 'TaskAssigned')).toHaveLength(3);
    expect(JSON.stringify(history.body)).not.toContain('run 1 failed');

    // The read models show the attempts and the task's outcome.
    await eventually(async () => {
      const attempts = await db
        .selectFrom('api.task_attempts')
        .select(['attempt', 'failed_status', 'retry_at', 'unassign_reason'])
        .where('task_id', '=', taskId)
        .orderBy('attempt')
        .execute();
      expect(attempts).toEqual([
        { attempt: 1, failed_status: 500, retry_at: expect.any(Date), unassign_reason: null },
        { attempt: 2, failed_status: 500, retry_at: expect.any(Date), unassign_reason: null },
        { attempt: 3, failed_status: null, retry_at: null, unassign_reason: null },
      ]);
      const task = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}`, {
        token,
      });
      expect(task.body).toMatchObject({ status: 200, progress: 100 });
    }, 30_000);
  },
);

e2e.test(
  'when the attempts run out, the last answer is the result, retried status or not',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'always failing',
      runtime: countingRuntime(503, 99),
      retry: { maxAttempts: 2, backoff: fastBackoff, on: [503] },
    });
    const taskId = await issue(functionId);
    expect(await resultOf(taskId)).toEqual({ status: 503, text: 'run 2 failed' });
    const types = (await eventsOf(taskId)).map((event) => event.type);
    expect(types.filter((type) => type === 'TaskAttemptFailed')).toHaveLength(1);
    expect(types.at(-1)).toBe('TaskFinished');
  },
);

e2e.test('a function without a retry policy is not retried', async (stack) => {
  const functionId = await stack.registerFunction(token, {
    name: 'failing once',
    runtime: countingRuntime(500, 2),
  });
  const taskId = await issue(functionId);
  expect(await resultOf(taskId)).toEqual({ status: 500, text: 'run 1 failed' });
  expect((await eventsOf(taskId)).map((event) => event.type)).toEqual([
    'TaskIssued',
    'TaskAssigned',
    'TaskFinished',
  ]);
});

e2e.test('a delayed task does not start before its Canopy-Not-Before', async (stack) => {
  const functionId = await stack.registerFunction(token, {
    name: 'delayed echo',
    runtime: { kind: 'process', command: 'cat' },
  });
  const notBefore = Math.floor(Date.now() / 1000) + 3;
  const taskId = await issue(functionId, { 'canopy-not-before': String(notBefore) });
  expect(await resultOf(taskId)).toEqual({ status: 200, text: '' });
  const events = await eventsOf(taskId);
  const issued = events.find((event) => event.type === 'TaskIssued');
  expect(issued?.data['notBefore']).toBe(new Date(notBefore * 1000).toISOString());
  const assigned = events.find((event) => event.type === 'TaskAssigned');
  expect(Date.parse(String(assigned?.data['assignedAt']))).toBeGreaterThanOrEqual(notBefore * 1000);
  await eventually(async () => {
    const row = await db
      .selectFrom('api.tasks')
      .select(['not_before', 'state'])
      .where('task_id', '=', taskId)
      .executeTakeFirst();
    expect(row).toEqual({ not_before: new Date(notBefore * 1000), state: 'finished' });
  }, 30_000);
});

e2e.test(
  'an invalid delay or priority is a 400 naming the header, and issues nothing',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'never issued',
      runtime: { kind: 'process', command: 'cat' },
    });
    for (const [header, value] of [
      ['canopy-not-before', String(Date.now())],
      ['canopy-priority', '10'],
    ] as const) {
      const answer = await stack.requestJson<Record<string, unknown>>(`/v1/task/${functionId}`, {
        method: 'POST',
        token,
        headers: { [header]: value },
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'INVALID_REQUEST', field: expect.any(String) });
    }
    const { rows } = await sql<{ count: string }>`
    SELECT count(*) AS count FROM event_store.events
    WHERE type = 'TaskIssued' AND data->>'functionId' = ${functionId}
  `.execute(db);
    expect(rows).toEqual([{ count: '0' }]);
  },
);

e2e.test('with the one slot busy, waiting tasks start highest priority first', async (stack) => {
  const release = join(runDir, 'release');
  const blocker = await stack.registerFunction(token, {
    name: 'blocker',
    runtime: {
      kind: 'process',
      command: 'sh',
      args: ['-c', `while [ ! -f "${release}" ]; do sleep 0.05; done`],
    },
  });
  const quick = await stack.registerFunction(token, {
    name: 'quick',
    priority: 4,
    runtime: { kind: 'process', command: 'cat' },
  });
  const blocking = await issue(blocker);
  await eventually(async () => {
    expect((await eventsOf(blocking)).map((event) => event.type)).toContain('TaskAssigned');
  }, 30_000);

  const low = await issue(quick, { 'canopy-priority': '1' });
  const usual = await issue(quick); // the function's priority, 4
  const high = await issue(quick, { 'canopy-priority': '9' });
  const alsoHigh = await issue(quick, { 'canopy-priority': '9' });
  writeFileSync(release, '');

  const started = new Map<string, bigint>();
  for (const taskId of [low, usual, high, alsoHigh]) {
    expect((await resultOf(taskId)).status).toBe(200);
    const assigned = (await stack.store.readStream(taskStreamId(taskId))).find(
      (event) => event.type === 'TaskAssigned',
    );
    started.set(taskId, assigned?.globalPosition ?? -1n);
  }
  const order = [...started.entries()]
    .sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([taskId]) => taskId);
  // Higher first; within one priority in the order of issue.
  expect(order).toEqual([high, alsoHigh, usual, low]);
});
