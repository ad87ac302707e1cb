import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eventually } from '@canopy/async-testing';
import { operationsOf } from './testing/hostile-requests.js';
import type { PlatformStack } from './testing/platform-stack.js';
import { repositoryRoot } from './testing/service-process.js';
import { stackForFile } from './testing/stack-for-file.js';

// Who may read what: every endpoint needs a valid access token, and an account never sees another
// account's functions, tasks, schedules, nodes or API keys (a 404, as if they did not exist). The
// endpoints come from the committed OpenAPI document, so a new one is checked as soon as it exists.

const e2e = stackForFile({ label: 'access' });

const operations = operationsOf(
  JSON.parse(readFileSync(`${repositoryRoot}docs/openapi.json`, 'utf8')),
);

interface Tenant {
  token: string;
  accountId: string;
  functionId: string;
  taskId: string;
  scheduleId: string;
  nodeHash: string;
  apiKeyId: string;
  /** Names and descriptions the tenant gave its resources: none may appear in another's answers. */
  words: string[];
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
  // A yearly schedule: it exists for the checks and never fires during them.
  const schedule = await stack.requestJson<{ id: string }>('/v1/schedule', {
    method: 'POST',
    token,
    json: {
      functionId,
      cron: '0 0 1 1 *',
      timeZone: 'UTC',
      name: `${name} yearly`,
      description: `${name} schedule description`,
    },
  });
  expect(schedule.status).toBe(201);
  const nodeHash = `${name}-node`;
  const node = await stack.requestJson(`/v1/node/${nodeHash}`, {
    method: 'POST',
    token,
    json: { description: `${name} node description` },
  });
  expect(node.status).toBe(201);
  const key = await stack.requestJson<{ id: string }>('/v1/auth/keys', {
    method: 'POST',
    token,
    json: { name: `${name} second key` },
  });
  expect(key.status).toBe(201);
  // The list and the CSV read the read models: wait until the projector shows the task finished.
  await eventually(async () => {
    const list = await stack.requestJson<{ id: string; status: number }[]>('/v1/task/list', {
      token,
    });
    expect(list.body).toEqual([expect.objectContaining({ id: taskId, status: 200 })]);
    const nodes = await stack.requestJson<{ hash: string }[]>('/v1/node/list', { token });
    expect(nodes.body).toEqual([expect.objectContaining({ hash: nodeHash })]);
    const schedules = await stack.requestJson<{ id: string }[]>('/v1/schedule/list', { token });
    expect(schedules.body).toEqual([expect.objectContaining({ id: schedule.body.id })]);
  }, 30_000);
  return {
    token,
    accountId: account.accountId,
    functionId,
    taskId,
    scheduleId: schedule.body.id,
    nodeHash,
    apiKeyId: key.body.id,
    words: [
      `${name} echo`,
      `${name} yearly`,
      `${name} schedule description`,
      `${name} node description`,
      `${name} second key`,
    ],
  };
}

/** A token shaped like ours, for A's account, signed with a key of the attacker's. */
function forgedToken(accountId: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: 'HS256', typ: 'at+jwt', kid: '000000000000' })}.${part({ iss: 'canopy', aud: 'canopy-api', sub: accountId, iat: now, exp: now + 600 })}`;
  const signature = createHmac('sha256', 'not-the-secret-not-the-secret-not-the-secret')
    .update(unsigned)
    .digest('base64url');
  return `${unsigned}.${signature}`;
}

interface Endpoint {
  readonly method: string;
  readonly path: string;
  readonly json?: unknown;
}

/** The id of the tenant's own resource that a path parameter names. */
function pathFor(template: string, tenant: Tenant): string {
  return template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    if (name === 'hash') return tenant.nodeHash;
    if (template.startsWith('/v1/schedule/')) return tenant.scheduleId;
    if (template.startsWith('/v1/auth/keys/')) return tenant.apiKeyId;
    if (template.startsWith('/v1/function/')) return tenant.functionId;
    // `/v1/task/{id}` names a task, except where it is the function to run in a batch or export.
    return /^\/v1\/task\/\{id\}\/(csv|batch)$/.test(template) ? tenant.functionId : tenant.taskId;
  });
}

/** Bodies that would succeed for the owner, so that a 404 is about the account, not the body. */
function bodyFor(method: string, template: string, tenant: Tenant): unknown {
  if (method === 'POST' && template === '/v1/function') {
    return {
      name: 'x',
      capabilities: { timeout: 5 },
      runtime: { kind: 'process', command: 'cat' },
    };
  }
  if (method === 'POST' && template === '/v1/schedule') {
    return { functionId: tenant.functionId, cron: '0 0 1 1 *', timeZone: 'UTC' };
  }
  if (method === 'PATCH' && template === '/v1/schedule/{id}') return { paused: true };
  if (method === 'PATCH' && template === '/v1/function/{id}') return { description: 'changed' };
  if (method === 'PATCH' && template === '/v1/node/{hash}') return {};
  if (method === 'POST' && template.startsWith('/v1/node/')) return { description: 'x' };
  if (method === 'POST' && template === '/v1/auth/keys') return {};
  if (method === 'POST' && template === '/v1/task/{id}/batch') return [{}];
  if (method === 'POST' && template.startsWith('/v1/task/')) return {};
  return undefined;
}

function endpoints(tenant: Tenant): Endpoint[] {
  return operations
    .filter((operation) => operation.authenticated)
    .map((operation) => {
      const json = bodyFor(operation.method, operation.path, tenant);
      return {
        method: operation.method,
        path: pathFor(operation.path, tenant),
        ...(json === undefined ? {} : { json }),
      };
    });
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
  "another account's resources are 404 on every endpoint that names them, and stay untouched",
  async (stack) => {
    const answers: unknown[] = [];
    const expected: unknown[] = [];
    const naming = endpoints(tenantA).filter(
      (candidate) =>
        // Registering a node under the same hash makes a node of the caller's own: not A's.
        !(candidate.method === 'POST' && candidate.path.startsWith('/v1/node/')) &&
        (candidate.path.includes(tenantA.nodeHash) ||
          /[0-9a-f]{24}/.test(candidate.path) ||
          JSON.stringify(candidate.json ?? null).includes(tenantA.functionId)),
    );
    expect(naming.map((endpoint) => `${endpoint.method} ${endpoint.path.split('/')[2]}`)).toEqual(
      expect.arrayContaining([
        'DELETE node',
        'PATCH node',
        'DELETE schedule',
        'POST schedule',
        'PATCH function',
        'DELETE function',
      ]),
    );
    for (const endpoint of naming) {
      const answer = await stack.requestJson<Record<string, unknown>>(endpoint.path, {
        method: endpoint.method,
        token: tenantB.token,
        ...(endpoint.json === undefined ? {} : { json: endpoint.json }),
      });
      const request = `${endpoint.method} ${endpoint.path}`;
      const text = JSON.stringify(answer.body);
      answers.push({
        request,
        status: answer.status,
        error: answer.body['error'],
        keys: Object.keys(answer.body).filter((key) => key !== 'field'),
        leaks: tenantA.words.filter((word) => text.includes(word)),
      });
      expected.push({
        request,
        status: 404,
        error: expect.stringMatching(/NOT_FOUND$/),
        keys: ['error', 'message'],
        leaks: [],
      });
    }
    expect(answers).toEqual(expected);

    // The owner still reads them, unchanged, so the 404s are about the account, not the ids.
    const owner = { token: tenantA.token };
    expect((await stack.request(`/v1/task/${tenantA.taskId}`, owner)).status).toBe(200);
    const fn = await stack.requestJson<{ version: number; description: string }>(
      `/v1/function/${tenantA.functionId}`,
      owner,
    );
    expect({ status: fn.status, version: fn.body.version }).toEqual({ status: 200, version: 1 });
    const schedule = await stack.requestJson<{ paused: boolean }>(
      `/v1/schedule/${tenantA.scheduleId}`,
      owner,
    );
    expect({ status: schedule.status, paused: schedule.body.paused }).toEqual({
      status: 200,
      paused: false,
    });
    const nodes = await stack.requestJson<{ hash: string; disabled: boolean }[]>(
      '/v1/node/list',
      owner,
    );
    expect(nodes.body).toEqual([
      expect.objectContaining({ hash: tenantA.nodeHash, disabled: false }),
    ]);
    const keys = await stack.requestJson<{ id: string; revokedAt: string | null }[]>(
      '/v1/auth/keys',
      owner,
    );
    expect(keys.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: tenantA.apiKeyId, revokedAt: null })]),
    );
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
    for (const list of ['/v1/node/list', '/v1/schedule/list', '/v1/auth/keys']) {
      const answer = await stack.requestJson<unknown[]>(list, { token: own.token });
      expect({ list, status: answer.status }).toEqual({ list, status: 200 });
      const text = JSON.stringify(answer.body);
      expect({ list, leaks: other.words.filter((word) => text.includes(word)) }).toEqual({
        list,
        leaks: [],
      });
      expect(text).not.toContain(other.scheduleId);
      expect(text).not.toContain(other.apiKeyId);
    }
    const metrics = await stack.requestJson<{ todayTasks: number }>('/v1/metrics', {
      token: own.token,
    });
    expect(metrics.body.todayTasks).toBe(1);
    const csv = await stack.request(`/v1/task/${own.functionId}/csv`, { token: own.token });
    const rows = (await csv.text()).split('\r\n').filter((line) => line !== '');
    expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual([own.taskId]);
    expect(rows.join('\n')).not.toContain(other.taskId);
  }
});
