import {
  ISSUE_TASK_AGAIN_SUBJECT,
  ISSUE_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
  decodeJson,
  parseIssueTaskRequest,
  taskCommand,
} from '@canopy/contracts';
import { exampleFunctionDefinition } from '@canopy/contracts/testing';
import type { Msg } from '@nats-io/transport-node';
import { sql } from 'kysely';
import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { generateSigningKey } from '@canopy/identity';
import type { SigningJwk } from '@canopy/identity';
import { SignJWT } from 'jose';
import { TEST_SIGNING_KEYS, startGatewayHarness } from './testing/gateway-harness.js';
import type { GatewayHarness, TestAccount } from './testing/gateway-harness.js';

// The gateway in-process against real PostgreSQL and NATS: authentication, functions, issuing tasks
// (through a stand-in scheduler that records TaskIssued in the real event store) and reading a task
// before any projector ran.

const BODY_LIMIT = 4096;

let harness: GatewayHarness;
let owner: TestAccount;
let ownerToken: string;
let stranger: TestAccount;
let strangerToken: string;

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_api', {
    GATEWAY_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    GATEWAY_ISSUE_TIMEOUT_MS: '1000',
  });
  owner = await harness.createAccount('Owner');
  ownerToken = await harness.tokenFor(owner);
  stranger = await harness.createAccount('Stranger');
  strangerToken = await harness.tokenFor(stranger);
});

afterAll(async () => {
  await harness?.stop();
});

const functionBody = {
  ...exampleFunctionDefinition,
  capabilities: { ...exampleFunctionDefinition.capabilities, privileged: true },
};

async function json(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

function postFunction(token: string, body: object): Promise<Response> {
  return harness.request('/v1/function', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function registerFunction(token: string, body: object = functionBody): Promise<string> {
  const response = await postFunction(token, body);
  expect(response.status).toBe(201);
  const { id } = await json(response);
  expect(id).toMatch(/^[0-9a-f]{24}$/);
  return id as string;
}

/** The api.functions row the projector writes for `functionBody` registered as `functionId`. */
function projectedFunctionRow(functionId: string, accountId: string) {
  const { capabilities } = functionBody;
  return {
    function_id: functionId,
    account_id: accountId,
    name: functionBody.name,
    description: functionBody.description,
    lang: functionBody.lang,
    type: functionBody.type,
    runtime: JSON.stringify(functionBody.runtime),
    cpu_count: capabilities.cpuCount,
    mem_size: capabilities.memSize,
    network_latency: capabilities.networkLatency,
    privileged: capabilities.privileged,
    timeout_seconds: capabilities.timeout,
    last_stream_version: 1,
  };
}

type StandIn = (request: ReturnType<typeof parseIssueTaskRequest>, message: Msg) => void;

/**
 * Issues a task while stand-ins answer the gateway's IssueTask requests in the scheduler's place:
 * `queueGroup` the first asking (one replica of the queue group takes it), `everyReplica` the
 * requests asked again (every replica hears them, none when absent); returns the POST's answer.
 */
async function issueWithStandIns(standIns: {
  queueGroup: StandIn;
  everyReplica?: StandIn;
}): Promise<Response> {
  const functionId = await registerFunction(ownerToken);
  const answering = (standIn: StandIn) => (_error: unknown, message: Msg) =>
    standIn(parseIssueTaskRequest(decodeJson(message.data, 'IssueTask request')), message);
  const subscriptions = [
    harness.nats.subscribe(ISSUE_TASK_SUBJECT, {
      queue: SCHEDULER_QUEUE_GROUP,
      callback: answering(standIns.queueGroup),
    }),
  ];
  if (standIns.everyReplica !== undefined) {
    const callback = answering(standIns.everyReplica);
    subscriptions.push(harness.nats.subscribe(ISSUE_TASK_AGAIN_SUBJECT, { callback }));
  }
  try {
    // The server has the subscriptions before the gateway asks: otherwise its first asking may find
    // no one in the queue group and go, as asked again, to the others.
    await harness.nats.flush();
    return await harness.request(`/v1/task/${functionId}`, { method: 'POST', token: ownerToken });
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
  }
}

/** The same stand-in for every replica: on the queue group and for requests asked again. */
const issueWithSchedulerStandIn = (standIn: StandIn): Promise<Response> =>
  issueWithStandIns({ queueGroup: standIn, everyReplica: standIn });

async function countIssuedTasks(): Promise<number> {
  const { rows } = await sql<{ count: string }>`
    SELECT count(*) AS count FROM event_store.events WHERE type = 'TaskIssued'
  `.execute(harness.db);
  return Number(rows[0]?.count);
}

describe('POST /v1/auth/apiKey', () => {
  const exchange = (body: string) =>
    harness.request('/v1/auth/apiKey', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  test('a valid key gets a short-lived access token that opens the API', async () => {
    const response = await exchange(JSON.stringify({ key: owner.key }));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual({ expiresIn: 900, accessToken: expect.any(String) });
    const list = await harness.request('/v1/function/list', {
      token: body['accessToken'] as string,
    });
    expect(list.status).toBe(200);
  });

  test.each([
    ['a malformed key', 'not-a-key'],
    ['an unknown account', `cnpy_${'0'.repeat(24)}_a1b2c3d4e5f6_${'A'.repeat(43)}`],
    ['a wrong secret', () => `${owner.key.slice(0, -43)}${'A'.repeat(43)}`],
    [
      'an unknown key id of the account',
      () => `cnpy_${owner.accountId}_000000000000_${owner.key.slice(-43)}`,
    ],
  ])('%s is refused with 401', async (_name, key) => {
    const response = await exchange(
      JSON.stringify({ key: typeof key === 'function' ? key() : key }),
    );
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({
      error: 'UNAUTHORIZED',
      message: 'the API key is not valid',
    });
  });

  test('a revoked key is refused with 401', async () => {
    const account = await harness.createAccount('Revoked');
    await harness.tokenFor(account);
    await harness.revokeKey(account);
    const response = await exchange(JSON.stringify({ key: account.key }));
    expect(response.status).toBe(401);
  });

  test('a body that is not a JSON object is a 400', async () => {
    for (const body of ['{', '[]', '']) {
      const response = await exchange(body);
      expect(response.status).toBe(400);
      expect((await json(response))['error']).toBe('INVALID_REQUEST');
    }
  });
});

describe('access tokens', () => {
  const protectedRoutes: [string, string][] = [
    ['GET', '/v1/function/list'],
    ['GET', '/v1/function/6405848581b16f7a07cd4c48'],
    ['POST', '/v1/function'],
    ['POST', '/v1/task/6405848581b16f7a07cd4c48'],
    ['GET', '/v1/task/list'],
    ['GET', '/v1/task/6405942c9956fae80d7e0e91'],
    ['GET', '/v1/task/6405942c9956fae80d7e0e91/result'],
    ['GET', '/v1/task/6405848581b16f7a07cd4c48/csv'],
  ];

  test.each(protectedRoutes)('%s %s needs a token', async (method, path) => {
    const response = await harness.request(path, { method });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await json(response)).toEqual({
      error: 'UNAUTHORIZED',
      message: 'an access token is required: Authorization: Bearer <token>',
    });
  });

  test('garbage, forged, foreign and expired tokens are refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const privateKey = ({ kty, crv, x, d }: SigningJwk): KeyObject =>
      createPrivateKey({ key: { kty, crv, x, d }, format: 'jwk' });
    const [testKey] = TEST_SIGNING_KEYS.keys;
    if (testKey === undefined) throw new Error('the test key set is empty');
    const sign = (key: KeyObject, iss: string, exp: number) =>
      new SignJWT({ client_id: owner.keyId })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: testKey.kid })
        .setIssuer(iss)
        .setAudience('canopy-api')
        .setSubject(owner.accountId)
        .setIssuedAt(now - 1000)
        .setExpirationTime(exp)
        .setJti('a-token')
        .sign(key);
    const tokens = [
      'garbage',
      await sign(privateKey(generateSigningKey()), 'canopy', now + 600),
      await sign(privateKey(testKey), 'elsewhere', now + 600),
      await sign(privateKey(testKey), 'canopy', now - 10),
    ];
    for (const token of tokens) {
      const response = await harness.request('/v1/task/list', { token });
      expect(response.status).toBe(401);
      expect((await json(response))['message']).toBe('the access token is invalid or expired');
    }
    const valid = await sign(privateKey(testKey), 'canopy', now + 600);
    expect((await harness.request('/v1/task/list', { token: valid })).status).toBe(200);
  });
});

describe('functions', () => {
  test('a registered function reads back as registered, at once', async () => {
    const before = Math.floor(Date.now() / 1000);
    const id = await registerFunction(ownerToken);
    const response = await harness.request(`/v1/function/${id}`, { token: ownerToken });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual({
      id,
      ...functionBody,
      retry: null,
      priority: 5,
      created: expect.stringMatching(/^\d+$/),
      version: 1,
      updated: body['created'],
      metrics: { todaysTasks: 0, pendingTasks: 0, weekTasks: 0, completedTasks: 0 },
    });
    expect(Number(body['created'])).toBeGreaterThanOrEqual(before);
  });

  test('a retry policy and a priority read back, the policy with its defaults filled in', async () => {
    const id = await registerFunction(ownerToken, {
      ...functionBody,
      retry: { maxAttempts: 3, on: ['5xx', 429] },
      priority: 8,
    });
    const body = await json(await harness.request(`/v1/function/${id}`, { token: ownerToken }));
    expect(body).toMatchObject({
      retry: {
        maxAttempts: 3,
        backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 300 },
        on: ['5xx', 429],
      },
      priority: 8,
    });
  });

  test.each([
    [{ retry: { maxAttempts: 21 } }, 'retry.maxAttempts'],
    [{ retry: { maxAttempts: 2, on: [200] } }, 'retry.on.0'],
    [
      { retry: { maxAttempts: 2, backoff: { initialSeconds: 10, maxSeconds: 5 } } },
      'retry.backoff.maxSeconds',
    ],
    [{ retry: { maxAttempts: 2, jitter: true } }, 'retry'],
    [{ priority: 10 }, 'priority'],
    [{ priority: '5' }, 'priority'],
  ])('an invalid retry policy or priority is a 400 naming the field: %j', async (extra, field) => {
    const response = await postFunction(ownerToken, { ...functionBody, ...extra });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ error: 'INVALID_REQUEST', field });
  });

  test('capabilities default to no requirement but the timeout; texts default to empty', async () => {
    const id = await registerFunction(ownerToken, {
      name: 'minimal',
      capabilities: { timeout: 5 },
      runtime: { kind: 'http', url: 'http://127.0.0.1:9/fn' },
    });
    const body = await json(await harness.request(`/v1/function/${id}`, { token: ownerToken }));
    expect(body).toMatchObject({
      description: '',
      lang: '',
      type: '',
      capabilities: { timeout: 5, cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false },
    });
  });

  test.each([
    ['no timeout', { capabilities: { cpuCount: 1 } }, 'capabilities.timeout'],
    ['no capabilities', { capabilities: undefined }, 'capabilities'],
    [
      'a negative memory size',
      { capabilities: { timeout: 1, memSize: -1 } },
      'capabilities.memSize',
    ],
    ['an unknown runtime kind', { runtime: { kind: 'wasm' } }, 'runtime.kind'],
    [
      'a misspelt runtime field',
      { runtime: { kind: 'process', command: 'x', argz: [] } },
      'runtime',
    ],
    ['no name', { name: undefined }, 'name'],
  ])('a definition with %s is a 400 naming the field', async (_name, change, field) => {
    const response = await postFunction(ownerToken, { ...functionBody, ...change });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ error: 'INVALID_REQUEST', field });
  });

  test('the list shows the account’s projected functions, newest first, in pages', async () => {
    const account = await harness.createAccount('Lister');
    const token = await harness.tokenFor(account);
    const ids = [];
    for (let index = 0; index < 3; index += 1) {
      ids.push(await registerFunction(token, { ...functionBody, name: `fn${index}` }));
    }
    // The projector is not running in this test: write the rows it would write.
    await harness.db
      .insertInto('api.functions')
      .values(
        ids.map((id, index) => ({
          ...projectedFunctionRow(id, account.accountId),
          name: `fn${index}`,
          created_at: new Date(Date.UTC(2026, 0, 1 + index)),
        })),
      )
      .execute();

    const first = await harness.request('/v1/function/list?limit=2', { token });
    expect(first.status).toBe(200);
    expect(((await json(first)) as unknown as { name: string }[]).map((fn) => fn.name)).toEqual([
      'fn2',
      'fn1',
    ]);
    const link = first.headers.get('link');
    expect(link).toMatch(/^<\/v1\/function\/list\?limit=2&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    const next = await harness.request(link?.slice(1, link.indexOf('>')) ?? '', { token });
    const rest = (await next.json()) as { id: string; created: string }[];
    expect(rest).toEqual([
      expect.objectContaining({
        id: ids[0],
        name: 'fn0',
        created: String(Date.UTC(2026, 0, 1) / 1000),
      }),
    ]);
    expect(next.headers.get('link')).toBeNull();

    const fromReadModel = await json(await harness.request(`/v1/function/${ids[1]}`, { token }));
    expect(fromReadModel).toEqual({
      id: ids[1],
      ...functionBody,
      retry: null,
      priority: 5,
      name: 'fn1',
      created: String(Date.UTC(2026, 0, 2) / 1000),
      version: 1,
      updated: expect.stringMatching(/^\d+$/),
      metrics: { todaysTasks: 0, pendingTasks: 0, weekTasks: 0, completedTasks: 0 },
    });

    const strangers = await harness.request('/v1/function/list', { token: strangerToken });
    expect(((await strangers.json()) as { id: string }[]).map((fn) => fn.id)).not.toContain(ids[0]);
  });

  test('another account’s function is a 404, a malformed id a 400', async () => {
    const id = await registerFunction(ownerToken);
    const foreign = await harness.request(`/v1/function/${id}`, { token: strangerToken });
    expect(foreign.status).toBe(404);
    expect(await json(foreign)).toEqual({ error: 'NOT_FOUND', message: `no function ${id}` });
    const malformed = await harness.request('/v1/function/ABC', { token: ownerToken });
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toEqual({
      error: 'INVALID_REQUEST',
      message: 'functionId must be 24 lower-case hexadecimal characters',
      field: 'functionId',
    });
  });
});

describe('function versions', () => {
  const patch = (id: string, token: string, body: unknown) =>
    harness.request(`/v1/function/${id}`, {
      method: 'PATCH',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const countFunctionEvents = async (id: string) => {
    const { rows } = await sql<{ count: string }>`
      SELECT count(*) AS count FROM event_store.events WHERE stream_id = ${`function-${id}`}
    `.execute(harness.db);
    return Number(rows[0]?.count);
  };

  test('a PATCH makes the next version; the older ones stay readable with ?version=N', async () => {
    const id = await registerFunction(ownerToken);
    const changed = await patch(id, ownerToken, {
      description: 'says hello louder',
      capabilities: { timeout: 30 },
      runtime: { kind: 'process', command: '/bin/echo', args: ['HELLO'] },
    });
    expect(changed.status).toBe(200);
    const version2 = {
      id,
      ...functionBody,
      description: 'says hello louder',
      capabilities: { ...functionBody.capabilities, timeout: 30 },
      runtime: { kind: 'process', command: '/bin/echo', args: ['HELLO'] },
      retry: null,
      priority: 5,
      created: expect.stringMatching(/^\d+$/),
      version: 2,
      updated: expect.stringMatching(/^\d+$/),
    };
    expect(await json(changed)).toEqual(version2);

    const current = await json(await harness.request(`/v1/function/${id}`, { token: ownerToken }));
    expect(current).toEqual({ ...version2, metrics: expect.any(Object) });
    const first = await json(
      await harness.request(`/v1/function/${id}?version=1`, { token: ownerToken }),
    );
    expect(first).toMatchObject({ ...functionBody, version: 1 });
    const missing = await harness.request(`/v1/function/${id}?version=3`, { token: ownerToken });
    expect({ status: missing.status, body: await json(missing) }).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: `function ${id} has no version 3` },
    });
    for (const bad of ['0', '-1', 'abc', '1.5', '99999999999']) {
      const response = await harness.request(`/v1/function/${id}?version=${bad}`, {
        token: ownerToken,
      });
      expect({ bad, status: response.status, field: (await json(response))['field'] }).toEqual({
        bad,
        status: 400,
        field: 'version',
      });
    }
  });

  test('a PATCH sets and clears the retry policy and the priority, defaults filled in', async () => {
    const id = await registerFunction(ownerToken);
    const retried = await json(
      await patch(id, ownerToken, { retry: { maxAttempts: 4, on: [503] }, priority: 8 }),
    );
    expect(retried).toMatchObject({
      version: 2,
      retry: {
        maxAttempts: 4,
        backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 300 },
        on: [503],
      },
      priority: 8,
    });
    // Left out, they stay; null clears them.
    expect(await json(await patch(id, ownerToken, { description: 'x' }))).toMatchObject({
      version: 3,
      retry: retried['retry'],
      priority: 8,
    });
    expect(await json(await patch(id, ownerToken, { retry: null, priority: null }))).toMatchObject({
      version: 4,
      retry: null,
      priority: 5,
    });
    const version2 = await json(
      await harness.request(`/v1/function/${id}?version=2`, { token: ownerToken }),
    );
    expect(version2).toMatchObject({ version: 2, priority: 8 });
  });

  test('a PATCH that changes nothing makes no version; a projected row behind the stream is not shown', async () => {
    const id = await registerFunction(ownerToken);
    // The projector is not running in this test: the row it would have written for version 1.
    await harness.db
      .insertInto('api.functions')
      .values(projectedFunctionRow(id, owner.accountId))
      .execute();
    const same = await patch(id, ownerToken, {
      description: functionBody.description,
      capabilities: { memSize: 128 },
    });
    expect({ status: same.status, version: (await json(same))['version'] }).toEqual({
      status: 200,
      version: 1,
    });
    expect(await countFunctionEvents(id)).toBe(1);
    expect((await json(await patch(id, ownerToken, {})))['version']).toBe(1);

    await patch(id, ownerToken, { capabilities: { cpuCount: 4 } });
    const shown = await json(await harness.request(`/v1/function/${id}`, { token: ownerToken }));
    expect({ version: shown['version'], capabilities: shown['capabilities'] }).toEqual({
      version: 2,
      capabilities: { ...functionBody.capabilities, cpuCount: 4 },
    });
  });

  test.each([
    ['a new name', { name: 'other' }, 'name'],
    ['a new lang', { lang: 'go' }, 'lang'],
    ['a zero timeout', { capabilities: { timeout: 0 } }, 'capabilities.timeout'],
    ['an unknown capability', { capabilities: { gpus: 1 } }, 'capabilities'],
    ['an unknown runtime kind', { runtime: { kind: 'wasm' } }, 'runtime.kind'],
    ['a description that is not text', { description: 7 }, 'description'],
    ['a priority out of range', { priority: 10 }, 'priority'],
    ['a retry policy without attempts', { retry: { on: ['5xx'] } }, 'retry.maxAttempts'],
  ])(
    'a PATCH with %s is a 400 naming the field, and makes no version',
    async (_name, body, field) => {
      const id = await registerFunction(ownerToken);
      const response = await patch(id, ownerToken, body);
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ error: 'INVALID_REQUEST', field });
      expect(await countFunctionEvents(id)).toBe(1);
    },
  );

  test('another account can neither change nor delete a function: 404, and it is unchanged', async () => {
    const id = await registerFunction(ownerToken);
    const changed = await patch(id, strangerToken, { description: 'mine now' });
    expect({ status: changed.status, body: await json(changed) }).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: `no function ${id}` },
    });
    const deleted = await harness.request(`/v1/function/${id}`, {
      method: 'DELETE',
      token: strangerToken,
    });
    expect(deleted.status).toBe(404);
    const versioned = await harness.request(`/v1/function/${id}?version=1`, {
      token: strangerToken,
    });
    expect(versioned.status).toBe(404);
    expect(await countFunctionEvents(id)).toBe(1);
  });

  test('a deleted function answers 404 on its routes and takes no task; the CSV of its tasks stays', async () => {
    const id = await registerFunction(ownerToken);
    await patch(id, ownerToken, { description: 'version 2' });
    const deleted = await harness.request(`/v1/function/${id}`, {
      method: 'DELETE',
      token: ownerToken,
    });
    expect({ status: deleted.status, body: await deleted.text() }).toEqual({
      status: 204,
      body: '',
    });
    const answers = await Promise.all([
      harness.request(`/v1/function/${id}`, { token: ownerToken }),
      harness.request(`/v1/function/${id}?version=1`, { token: ownerToken }),
      patch(id, ownerToken, { description: 'version 3' }),
      harness.request(`/v1/function/${id}`, { method: 'DELETE', token: ownerToken }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404]);
    expect(await countFunctionEvents(id)).toBe(3);
    const csv = await harness.request(`/v1/task/${id}/csv`, { token: ownerToken });
    expect(csv.status).toBe(200);
    const foreignCsv = await harness.request(`/v1/task/${id}/csv`, { token: strangerToken });
    expect(foreignCsv.status).toBe(404);
  });
});

describe('POST /v1/task/:functionId', () => {
  test('with no scheduler listening: 503 with Retry-After, and nothing is recorded', async () => {
    const functionId = await registerFunction(ownerToken);
    const before = await countIssuedTasks();
    const response = await harness.request(`/v1/task/${functionId}`, {
      method: 'POST',
      token: ownerToken,
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await json(response)).toEqual({
      error: 'UNAVAILABLE',
      message: 'no scheduler is available; try again later',
    });
    expect(await countIssuedTasks()).toBe(before);
  });

  describe('with a scheduler', () => {
    let scheduler: ReturnType<GatewayHarness['standInScheduler']>;
    beforeAll(() => {
      scheduler = harness.standInScheduler();
    });
    afterAll(() => scheduler.stop());

    test('201 with the task id; the function gets the query, content type and body as sent', async () => {
      const functionId = await registerFunction(ownerToken);
      const response = await harness.request(
        `/v1/task/${functionId}?myParam1=100&myParam2=Green&x=%20y`,
        {
          method: 'POST',
          token: ownerToken,
          headers: { 'content-type': 'application/json' },
          body: '{"name":"John Doe","age":30}',
        },
      );
      expect(response.status).toBe(201);
      const { id } = await json(response);
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(scheduler.requests.find((request) => request.taskId === id)).toEqual({
        taskId: id,
        accountId: owner.accountId,
        functionId,
        scheduleId: null,
        request: {
          query: 'myParam1=100&myParam2=Green&x=%20y',
          contentType: 'application/json',
          body: Buffer.from('{"name":"John Doe","age":30}').toString('base64'),
        },
        issuedAt: expect.any(String),
      });
    });

    test('the task reads back at once, from its stream, before any projection', async () => {
      const functionId = await registerFunction(ownerToken);
      const issued = await harness.request(`/v1/task/${functionId}`, {
        method: 'POST',
        token: ownerToken,
      });
      const { id } = await json(issued);
      const response = await harness.request(`/v1/task/${id as string}`, { token: ownerToken });
      expect(response.status).toBe(200);
      expect(await json(response)).toEqual({
        id,
        functionId,
        issued: expect.stringMatching(/^\d+$/),
        assigned: null,
        finished: null,
        progress: 0,
        node: null,
        timeout: 10,
        capabilities: { cpuCount: 1, memSize: 128, networkLatency: 0, privileged: true },
        status: 0,
      });
      const result = await harness.request(`/v1/task/${id as string}/result`, {
        token: ownerToken,
      });
      expect(result.status).toBe(202);
      expect(await json(result)).toEqual({ progress: 0, status: 0 });

      const foreign = await harness.request(`/v1/task/${id as string}`, { token: strangerToken });
      expect(foreign.status).toBe(404);
      const foreignResult = await harness.request(`/v1/task/${id as string}/result`, {
        token: strangerToken,
      });
      expect(foreignResult.status).toBe(404);
    });

    test('binary bodies of any content type and bodies without one pass through byte for byte', async () => {
      const functionId = await registerFunction(ownerToken);
      const bytes = Buffer.from([0, 255, 1, 254, 0x0d, 0x0a]);
      const binary = await harness.request(`/v1/task/${functionId}`, {
        method: 'POST',
        token: ownerToken,
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      expect(binary.status).toBe(201);
      const { id } = await json(binary);
      const request = scheduler.requests.find((issued) => issued.taskId === id)?.request;
      expect(request).toEqual({
        query: '',
        contentType: 'application/octet-stream',
        body: bytes.toString('base64'),
      });

      const untyped = await harness.request(`/v1/task/${functionId}?raw`, {
        method: 'POST',
        token: ownerToken,
        body: new Uint8Array(bytes),
      });
      expect(untyped.status).toBe(201);
      const untypedId = (await json(untyped))['id'];
      expect(scheduler.requests.find((issued) => issued.taskId === untypedId)?.request).toEqual({
        query: 'raw',
        contentType: null,
        body: bytes.toString('base64'),
      });
    });

    test('a body declared as JSON that is not JSON is a 400, and nothing is issued', async () => {
      const functionId = await registerFunction(ownerToken);
      const before = scheduler.requests.length;
      const response = await harness.request(`/v1/task/${functionId}`, {
        method: 'POST',
        token: ownerToken,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"name": "John Doe",}',
      });
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ error: 'INVALID_REQUEST', field: 'body' });
      expect(scheduler.requests.length).toBe(before);
    });

    test('a body over the limit is a 413', async () => {
      const functionId = await registerFunction(ownerToken);
      const response = await harness.request(`/v1/task/${functionId}`, {
        method: 'POST',
        token: ownerToken,
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(BODY_LIMIT + 1, 7),
      });
      expect(response.status).toBe(413);
      expect(await json(response)).toEqual({
        error: 'PAYLOAD_TOO_LARGE',
        message: `the request body exceeds ${BODY_LIMIT} bytes`,
      });
      const atLimit = await harness.request(`/v1/task/${functionId}`, {
        method: 'POST',
        token: ownerToken,
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(BODY_LIMIT, 7),
      });
      expect(atLimit.status).toBe(201);
    });

    test('a deleted function takes no task: 404, and nothing is issued', async () => {
      const functionId = await registerFunction(ownerToken);
      await harness.request(`/v1/function/${functionId}`, { method: 'DELETE', token: ownerToken });
      const before = await countIssuedTasks();
      const response = await harness.request(`/v1/task/${functionId}`, {
        method: 'POST',
        token: ownerToken,
      });
      expect(response.status).toBe(404);
      expect(await countIssuedTasks()).toBe(before);
    });

    test('an unknown function and another account’s function are 404s', async () => {
      const foreignFunction = await registerFunction(strangerToken);
      for (const functionId of ['6405848581b16f7a07cd4c48', foreignFunction]) {
        const response = await harness.request(`/v1/task/${functionId}`, {
          method: 'POST',
          token: ownerToken,
        });
        expect(response.status).toBe(404);
        expect(await json(response)).toEqual({
          error: 'NOT_FOUND',
          message: `no function ${functionId}`,
        });
      }
    });

    test('a malformed function id is a 400 naming it', async () => {
      const response = await harness.request('/v1/task/6405848581B16F7A07CD4C48', {
        method: 'POST',
        token: ownerToken,
      });
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ field: 'functionId' });
    });
  });

  test('a task recorded whose reply is lost is a 201, not a 503: the gateway looks in the store', async () => {
    const seen: string[] = [];
    // Records the task as the scheduler does, but its replies never arrive.
    const response = await issueWithSchedulerStandIn((request) => {
      seen.push(request.taskId);
      void harness.decideOnTask(
        taskCommand('IssueTask', {
          ...request,
          functionVersion: 1,
          requirements: { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false },
          timeout: 10,
          maxAttempts: 3,
          pendingDeadline: 300,
        }),
      );
    });
    expect(response.status).toBe(201);
    const { id } = await json(response);
    expect(new Set(seen)).toEqual(new Set([id]));
    const task = await harness.request(`/v1/task/${id as string}`, { token: ownerToken });
    expect(task.status).toBe(200);
  });

  test('a scheduler answering UNAVAILABLE is asked again until it records the task', async () => {
    const seen: string[] = [];
    const response = await issueWithSchedulerStandIn((request, message) => {
      seen.push(request.taskId);
      message.respond(
        JSON.stringify(
          seen.length === 1
            ? { ok: false, error: { code: 'UNAVAILABLE', message: 'the event store is away' } }
            : { ok: true, taskId: request.taskId },
        ),
      );
    });
    expect(response.status).toBe(201);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
  });

  test('a request the queue group gave to a replica that does not answer is asked again of every replica', async () => {
    // The queue group's only member never answers, as a paused replica; the others answer only
    // what every replica hears.
    const silent: string[] = [];
    const answered: string[] = [];
    const response = await issueWithStandIns({
      queueGroup: (request) => silent.push(request.taskId),
      everyReplica: (request, message) => {
        answered.push(request.taskId);
        message.respond(JSON.stringify({ ok: true, taskId: request.taskId }));
      },
    });
    expect(response.status).toBe(201);
    const { id } = await json(response);
    expect(silent).toEqual([id]);
    expect(answered).toEqual([id]);
  });

  test('schedulers that do not hear requests asked again (an older release) are asked through the queue group', async () => {
    const seen: string[] = [];
    const response = await issueWithStandIns({
      queueGroup: (request, message) => {
        seen.push(request.taskId);
        // The first asking goes unanswered.
        if (seen.length > 1) message.respond(JSON.stringify({ ok: true, taskId: request.taskId }));
      },
    });
    expect(response.status).toBe(201);
    const { id } = await json(response);
    expect(seen).toEqual([id, id]);
  });

  test('a request the scheduler does not answer in time is asked once more with the same task id', async () => {
    const seen: string[] = [];
    // Ignores the first request, then answers as the scheduler would.
    const response = await issueWithSchedulerStandIn((request, message) => {
      seen.push(`${request.taskId}@${request.issuedAt}`);
      if (seen.length > 1) message.respond(JSON.stringify({ ok: true, taskId: request.taskId }));
    });
    expect(response.status).toBe(201);
    const { id } = await json(response);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toMatch(new RegExp(`^${id as string}@`));
  });
});

describe('task ids and routes', () => {
  test.each([
    ['/v1/task/XYZ', 'taskId'],
    ['/v1/task/6405942c9956fae80d7e0e9/result', 'taskId'],
    ['/v1/task/not-a-function/csv', 'functionId'],
  ])('GET %s is a 400 naming %s', async (path, field) => {
    const response = await harness.request(path, { token: ownerToken });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ error: 'INVALID_REQUEST', field });
  });

  test('an unknown task is a 404', async () => {
    const response = await harness.request('/v1/task/6405942c9956fae80d7e0e91', {
      token: ownerToken,
    });
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({
      error: 'NOT_FOUND',
      message: 'no task 6405942c9956fae80d7e0e91',
    });
  });

  test('unknown routes are JSON 404s, with or without a token', async () => {
    for (const token of [ownerToken, undefined]) {
      const response = await harness.request('/v2/nothing', token === undefined ? {} : { token });
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual({
        error: 'NOT_FOUND',
        message: 'no route GET /v2/nothing',
      });
    }
  });
});
