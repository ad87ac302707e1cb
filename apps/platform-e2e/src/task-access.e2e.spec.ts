import { createHmac } from 'node:crypto';
import { eventually } from './testing/eventually.js';
import type { PlatformStack } from './testing/platform-stack.js';
import { stackForFile } from './testing/stack-for-file.js';

// Who may read what: every endpoint needs a valid access token, and an account never sees another
// account's functions or tasks (a 404, as if they did not exist).

const e2e = stackForFile({ label: 'access' });

interface Tenant {
  token: string;
  accountId: string;
  functionId: string;
  taskId: string;
}

let tenantA: Tenant;
let tenantB: Tenant;

async function tenantWithFinishedTask(stack: PlatformStack, name: string): Promise<Tenant> {
  const { account, token } = await stack.signUp(name);
  const functionId = await stack.registerFunction(token, {
    name: `${name} echo`,
    runtime: { kind: 'process', command: 'cat' },
  });
  const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
    json: { from: name },
  });
  expect(issued.status).toBe(201);
  const taskId = issued.body.id;
  await eventually(async () => {
    const result = await stack.request(`/v1/task/${taskId}/result?wait=20`, { token });
    expect(result.status).toBe(200);
  }, 60_000);
  // The list and the CSV read the read models: wait until the projector shows the task finished.
  await eventually(async () => {
    const list = await stack.requestJson<{ id: string; status: number }[]>('/v1/task/list', {
      token,
    });
    expect(list.body).toEqual([expect.objectContaining({ id: taskId, status: 200 })]);
  });
  return { token, accountId: account.accountId, functionId, taskId };
}

/** A token shaped like ours, for A's account, signed with another secret. */
function forgedToken(accountId: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT', kid: '000000000000' })}.${part({ iss: 'canopy', sub: accountId, iat: now, exp: now + 600 })}`;
  const signature = createHmac('sha256', 'not-the-secret-not-the-secret-not-the-secret')
    .update(unsigned)
    .digest('base64url');
  return `${unsigned}.${signature}`;
}

function endpoints(tenant: Tenant): { method: string; path: string; json?: unknown }[] {
  return [
    {
      method: 'POST',
      path: '/v1/function',
      json: {
        name: 'x',
        capabilities: { timeout: 5 },
        runtime: { kind: 'process', command: 'cat' },
      },
    },
    { method: 'GET', path: '/v1/function/list' },
    { method: 'GET', path: `/v1/function/${tenant.functionId}` },
    { method: 'POST', path: `/v1/task/${tenant.functionId}`, json: {} },
    { method: 'GET', path: '/v1/task/list' },
    { method: 'GET', path: `/v1/task/${tenant.taskId}` },
    { method: 'GET', path: `/v1/task/${tenant.taskId}/result` },
    { method: 'GET', path: `/v1/task/${tenant.functionId}/csv` },
  ];
}

beforeAll(async () => {
  const { stack } = e2e;
  await stack.startNode({ slots: 2 });
  tenantA = await tenantWithFinishedTask(stack, 'tenant-a');
  tenantB = await tenantWithFinishedTask(stack, 'tenant-b');
}, 120_000);

e2e.test(
  'every endpoint answers 401 without a token, with a garbage one and with a forged one',
  async (stack) => {
    const credentials: { label: string; token: string | undefined }[] = [
      { label: 'none', token: undefined },
      { label: 'garbage', token: 'garbage' },
      { label: 'forged', token: forgedToken(tenantA.accountId) },
    ];
    const answers: unknown[] = [];
    const expected: unknown[] = [];
    for (const endpoint of endpoints(tenantA)) {
      for (const { label, token } of credentials) {
        const answer = await stack.requestJson<{ error?: string }>(endpoint.path, {
          method: endpoint.method,
          ...(token === undefined ? {} : { token }),
          ...(endpoint.json === undefined ? {} : { json: endpoint.json }),
        });
        const request = `${endpoint.method} ${endpoint.path} (${label})`;
        answers.push({
          request,
          status: answer.status,
          error: answer.body.error,
          challenge: answer.headers.get('www-authenticate'),
        });
        expected.push({
          request,
          status: 401,
          error: 'UNAUTHORIZED',
          challenge: expect.stringMatching(/^Bearer/),
        });
      }
    }
    expect(answers).toEqual(expected);

    const badKey = await stack.requestJson('/v1/auth/apiKey', {
      method: 'POST',
      json: { key: 'cnpy_nonsense' },
    });
    expect(badKey.status).toBe(401);
  },
);

e2e.test(
  "another account's functions and tasks are 404 on every endpoint that names them",
  async (stack) => {
    const answers: unknown[] = [];
    const expected: unknown[] = [];
    for (const endpoint of endpoints(tenantA).filter((candidate) =>
      /[0-9a-f]{24}/.test(candidate.path),
    )) {
      const answer = await stack.requestJson<{ error?: string }>(endpoint.path, {
        method: endpoint.method,
        token: tenantB.token,
        ...(endpoint.json === undefined ? {} : { json: endpoint.json }),
      });
      const request = `${endpoint.method} ${endpoint.path}`;
      answers.push({ request, status: answer.status, error: answer.body.error });
      expected.push({ request, status: 404, error: 'NOT_FOUND' });
    }
    expect(answers).toEqual(expected);

    // The owner still reads them, so the 404s are about the account, not the ids.
    expect(
      (await stack.request(`/v1/task/${tenantA.taskId}`, { token: tenantA.token })).status,
    ).toBe(200);
    expect(
      (await stack.request(`/v1/function/${tenantA.functionId}`, { token: tenantA.token })).status,
    ).toBe(200);
  },
);

e2e.test("lists and CSV exports never show another account's rows", async (stack) => {
  for (const [own, other] of [
    [tenantA, tenantB],
    [tenantB, tenantA],
  ] as const) {
    const tasks = await stack.requestJson<{ id: string }[]>('/v1/task/list?limit=500', {
      token: own.token,
    });
    expect(tasks.body.map((task) => task.id)).toEqual([own.taskId]);
    const functions = await stack.requestJson<{ id: string }[]>('/v1/function/list', {
      token: own.token,
    });
    expect(functions.body.map((fn) => fn.id)).toEqual([own.functionId]);
    const byOtherFunction = await stack.requestJson<unknown[]>(
      `/v1/task/list?functionId=${other.functionId}`,
      {
        token: own.token,
      },
    );
    expect({ status: byOtherFunction.status, body: byOtherFunction.body }).toEqual({
      status: 200,
      body: [],
    });
    const csv = await stack.request(`/v1/task/${own.functionId}/csv`, { token: own.token });
    const rows = (await csv.text()).split('\r\n').filter((line) => line !== '');
    expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual([own.taskId]);
    expect(rows.join('\n')).not.toContain(other.taskId);
  }
});
