import { eventually } from '@canopy/async-testing';
import { sql } from 'kysely';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { PlatformStack } from './testing/platform-stack.js';
import { stackForFile } from './testing/stack-for-file.js';

// Idempotent and batched issue, end to end: two gateway replicas, the scheduler, the projector and a
// node agent as real processes, on one database and one NATS.

const e2e = stackForFile({ label: 'idempotent_batch', replicas: { gateway: 2 } });

let token = '';

/** The second gateway replica's base URL. */
function secondGateway(stack: PlatformStack): string {
  const url = stack.gatewayUrls[1];
  if (url === undefined) throw new Error('the stack runs one gateway');
  return url;
}

beforeAll(async () => {
  const { stack } = e2e;
  ({ token } = await stack.signUp('idempotent'));
  await stack.startNode({ slots: 4, cpuCount: 2 });
}, 120_000);

function post(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', ...headers },
    body,
  });
}

function echoFunction(stack: PlatformStack, name: string): Promise<string> {
  return stack.registerFunction(token, {
    name,
    timeout: 20,
    runtime: { kind: 'process', command: 'cat' },
  });
}

async function issuedTaskCount(stack: PlatformStack, functionId: string): Promise<number> {
  const db = new Kysely<never>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: stack.databaseUrl }) }),
  });
  try {
    const { rows } = await sql<{ count: string }>`
      SELECT count(*)::text AS count FROM event_store.events
      WHERE type = 'TaskIssued' AND data->>'functionId' = ${functionId}`.execute(db);
    return Number(rows[0]?.count);
  } finally {
    await db.destroy();
  }
}

async function resultOf(stack: PlatformStack, taskId: string): Promise<string> {
  return eventually(async () => {
    const response = await stack.request(`/v1/task/${taskId}/result?wait=10`, { token });
    if (response.status !== 200) throw new Error(`result answered ${response.status}`);
    return response.text();
  }, 60_000);
}

e2e.test(
  '50 concurrent POSTs with one Idempotency-Key over two gateways make exactly one task',
  async (stack) => {
    const functionId = await echoFunction(stack, 'once');
    const gateways = [stack.url, secondGateway(stack)];
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        post(gateways[index % 2] as string, `/v1/task/${functionId}?n=1`, 'only once', {
          'idempotency-key': 'e2e-once',
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(201));
    const ids = new Set(
      await Promise.all(
        answers.map(async (answer) => ((await answer.json()) as { id: string }).id),
      ),
    );
    expect(ids.size).toBe(1);
    const [taskId] = [...ids];
    expect(await issuedTaskCount(stack, functionId)).toBe(1);
    expect(await resultOf(stack, taskId as string)).toBe('only once');

    // A retry much later (the task done) still answers the same id; another request with the key is a 422.
    const retry = await post(secondGateway(stack), `/v1/task/${functionId}?n=1`, 'only once', {
      'idempotency-key': 'e2e-once',
    });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as { id: string }).id).toBe(taskId);
    const reused = await post(stack.url, `/v1/task/${functionId}?n=1`, 'another body', {
      'idempotency-key': 'e2e-once',
    });
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await issuedTaskCount(stack, functionId)).toBe(1);
  },
);

e2e.test('a batch with invalid entries answers each in order, and its tasks run', async (stack) => {
  const functionId = await echoFunction(stack, 'batch echo');
  const entries = [
    { contentType: 'text/plain', body: 'first' },
    { body: '{broken json' },
    { contentType: 'text/plain', body: 'third' },
    { unknownField: 1 },
    {
      contentType: 'application/octet-stream',
      body: Buffer.from([0, 1, 2, 255]).toString('base64'),
      bodyEncoding: 'base64',
    },
    { body: { json: true } },
  ];
  const response = await post(
    secondGateway(stack),
    `/v1/task/${functionId}/batch`,
    JSON.stringify(entries),
    {
      'content-type': 'application/json',
    },
  );
  expect(response.status).toBe(200);
  const answer = (await response.json()) as {
    status: number;
    id?: string;
    error?: string;
    field?: string;
  }[];
  expect(answer.map((entry) => entry.status)).toEqual([201, 400, 201, 400, 201, 201]);
  expect(answer[1]).toMatchObject({ error: 'INVALID_REQUEST', field: 'body' });
  expect(answer[3]).toMatchObject({ error: 'INVALID_REQUEST', field: 'unknownField' });
  const ids = answer.map((entry) => entry.id);
  expect(await resultOf(stack, ids[0] as string)).toBe('first');
  expect(await resultOf(stack, ids[2] as string)).toBe('third');
  const binary = await stack.request(`/v1/task/${ids[4] as string}/result?wait=10`, { token });
  expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  expect(await resultOf(stack, ids[5] as string)).toBe('{"json":true}');
  expect(await issuedTaskCount(stack, functionId)).toBe(4);
});

e2e.test(
  'a batch of 1000 is recorded by the scheduler and every task runs',
  async (stack) => {
    const functionId = await echoFunction(stack, 'batch of 1000');
    const entries = Array.from({ length: 1000 }, (_, index) => ({
      contentType: 'text/plain',
      body: `task ${index}`,
    }));
    const response = await post(
      stack.url,
      `/v1/task/${functionId}/batch`,
      JSON.stringify(entries),
      {
        'content-type': 'application/json',
        'idempotency-key': 'e2e-thousand',
      },
    );
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { status: number; id: string }[];
    expect(answer.filter((entry) => entry.status === 201)).toHaveLength(1000);
    // Repeated with the same key (on the other gateway): the same tasks, none more.
    const again = await post(
      secondGateway(stack),
      `/v1/task/${functionId}/batch`,
      JSON.stringify(entries),
      {
        'content-type': 'application/json',
        'idempotency-key': 'e2e-thousand',
      },
    );
    expect(await again.json()).toEqual(answer);
    expect(await issuedTaskCount(stack, functionId)).toBe(1000);
    // Queued first in, first out: the last one's result means the batch ran.
    expect(await resultOf(stack, answer[999]?.id as string)).toBe('task 999');
  },
  300_000,
);
