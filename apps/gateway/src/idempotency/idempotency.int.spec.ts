import { exampleFunctionDefinition } from '@canopy/contracts/testing';
import { createServiceLogger } from '@canopy/service-runtime';
import { sql } from 'kysely';
import { request as httpRequest } from 'node:http';
import { startGateway } from '../gateway.js';
import type { RunningGateway } from '../gateway.js';
import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness, TestAccount } from '../testing/gateway-harness.js';

// Idempotency-Key on the creating routes, in-process against real PostgreSQL and NATS (a stand-in
// scheduler records TaskIssued in the real event store), with a second gateway on the same database
// as another replica.

let harness: GatewayHarness;
let replica: RunningGateway;
let scheduler: ReturnType<GatewayHarness['standInScheduler']>;
let owner: TestAccount;
let token: string;
let strangerToken: string;
let functionId: string;

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_idempotency', { GATEWAY_ISSUE_TIMEOUT_MS: '2000' });
  replica = await startGateway(harness.config, createServiceLogger('gateway', 'silent'));
  scheduler = harness.standInScheduler();
  owner = await harness.createAccount('Owner');
  token = await harness.tokenFor(owner);
  strangerToken = await harness.tokenFor(await harness.createAccount('Stranger'));
  functionId = await created(await post('/v1/function', JSON.stringify(exampleFunctionDefinition)));
});

afterAll(async () => {
  scheduler?.stop();
  await replica?.stop();
  await harness?.stop();
});

function post(
  path: string,
  body: string,
  options: {
    key?: string;
    token?: string;
    on?: RunningGateway;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token ?? token}`,
    'content-type': options.contentType ?? 'application/json',
    ...options.headers,
  };
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  return fetch(`${(options.on ?? harness.gateway).url}${path}`, { method: 'POST', headers, body });
}

async function created(response: Response): Promise<string> {
  expect(response.status).toBe(201);
  const { id } = (await response.json()) as { id: string };
  expect(id).toMatch(/^[0-9a-f]{24}$/);
  return id;
}

async function eventsOf(streamId: string): Promise<string[]> {
  return (await harness.store.readStream(streamId)).map((event) => event.type);
}

async function tasksIssuedFor(fn: string): Promise<number> {
  const { rows } = await sql<{ count: string }>`
    SELECT count(*) AS count FROM event_store.events
    WHERE type = 'TaskIssued' AND data->>'functionId' = ${fn}`.execute(harness.db);
  return Number(rows[0]?.count);
}

describe('Idempotency-Key on POST /v1/task/:functionId', () => {
  test('the same key and request again: the same id, marked as a replay, and one task', async () => {
    const first = await post(`/v1/task/${functionId}?a=1`, '{"n":1}', { key: 'order-1' });
    const id = await created(first);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await post(`/v1/task/${functionId}?a=1`, '{"n":1}', { key: 'order-1' });
    expect(await created(again)).toBe(id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // The quoted form names the same key; another gateway on the same database knows it too.
    const quoted = await post(`/v1/task/${functionId}?a=1`, '{"n":1}', {
      key: '"order-1"',
      on: replica,
    });
    expect(await created(quoted)).toBe(id);
    expect(await eventsOf(`task-${id}`)).toEqual(['TaskIssued']);
  });

  test('50 concurrent requests with one key over two gateways make one task, and all answer its id', async () => {
    const fn = await created(await post('/v1/function', JSON.stringify(exampleFunctionDefinition)));
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        post(`/v1/task/${fn}`, '{"burst":true}', {
          key: 'burst',
          on: index % 2 === 0 ? harness.gateway : replica,
        }).then(created),
      ),
    );
    expect(new Set(answers).size).toBe(1);
    expect(await tasksIssuedFor(fn)).toBe(1);
  });

  test.each([
    ['another body', `/v1/task/FN?a=1`, '{"n":2}', 'application/json'],
    ['another query', `/v1/task/FN?a=2`, '{"n":1}', 'application/json'],
    ['another content type', `/v1/task/FN?a=1`, '{"n":1}', 'application/vnd.x+json'],
    [
      'another route',
      `/v1/function`,
      JSON.stringify(exampleFunctionDefinition),
      'application/json',
    ],
  ])(
    'the same key with %s is a 422 and creates nothing',
    async (_what, path, body, contentType) => {
      const fn = await created(
        await post('/v1/function', JSON.stringify(exampleFunctionDefinition)),
      );
      await created(await post(`/v1/task/${fn}?a=1`, '{"n":1}', { key: `reuse-${_what}` }));
      const response = await post(path.replace('FN', fn), body, {
        key: `reuse-${_what}`,
        contentType,
      });
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({
        error: 'IDEMPOTENCY_KEY_REUSED',
        message:
          'this Idempotency-Key was used with another request; use a new key for a new request',
        field: 'Idempotency-Key',
      });
      expect(await tasksIssuedFor(fn)).toBe(1);
    },
  );

  test('the same key with another priority is another request: a 422', async () => {
    const fn = await created(await post('/v1/function', JSON.stringify(exampleFunctionDefinition)));
    await created(await post(`/v1/task/${fn}`, '{}', { key: 'prioritised' }));
    const response = await post(`/v1/task/${fn}`, '{}', {
      key: 'prioritised',
      headers: { 'canopy-priority': '9' },
    });
    expect(response.status).toBe(422);
    expect(await tasksIssuedFor(fn)).toBe(1);
  });

  test("keys are the account's own: another account's same key is a key of its own", async () => {
    const mine = await created(await post(`/v1/task/${functionId}`, '{}', { key: 'shared-name' }));
    // The stranger cannot see the function (404) and learns nothing of the owner's key.
    const theirs = await post(`/v1/task/${functionId}`, '{}', {
      key: 'shared-name',
      token: strangerToken,
    });
    expect(theirs.status).toBe(404);
    expect(await eventsOf(`task-${mine}`)).toEqual(['TaskIssued']);
  });

  test('a request refused (unknown function) is refused again; the key stays with that request', async () => {
    const missing = 'f'.repeat(24);
    for (let round = 0; round < 2; round += 1) {
      expect((await post(`/v1/task/${missing}`, '{}', { key: 'to-nowhere' })).status).toBe(404);
    }
    expect((await post(`/v1/task/${functionId}`, '{}', { key: 'to-nowhere' })).status).toBe(422);
  });

  test('an invalid request is a 400 and does not bind the key', async () => {
    const invalid = await post(`/v1/task/${functionId}`, '{not json', { key: 'after-a-400' });
    expect(invalid.status).toBe(400);
    await created(await post(`/v1/task/${functionId}`, '{"fixed":1}', { key: 'after-a-400' }));
  });

  test('an expired key is a new key: the request makes a new task', async () => {
    const first = await created(await post(`/v1/task/${functionId}`, '{}', { key: 'short-lived' }));
    await sql`UPDATE idempotency.keys SET expires_at = now() - interval '1 second'
              WHERE idempotency_key = 'short-lived'`.execute(harness.db);
    const second = await created(
      await post(`/v1/task/${functionId}`, '{}', { key: 'short-lived' }),
    );
    expect(second).not.toBe(first);
  });

  test.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['not printable ASCII', 'clé'],
    ['holding a tab', 'a\tb'],
    ['badly quoted', '"abc'],
  ])('a key that is %s is a 400 naming the header', async (_what, key) => {
    const response = await rawPost(`/v1/task/${functionId}`, { 'idempotency-key': key });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      error: 'INVALID_REQUEST',
      field: 'Idempotency-Key',
    });
  });

  test('a key sent twice is a 400', async () => {
    const response = await rawPost(`/v1/task/${functionId}`, { 'idempotency-key': ['a', 'b'] });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: 'INVALID_REQUEST',
      message: 'Idempotency-Key must be sent once',
      field: 'Idempotency-Key',
    });
  });
});

describe('Idempotency-Key on function and schedule creation', () => {
  test('a function registered twice with one key is one function', async () => {
    const body = JSON.stringify({ ...exampleFunctionDefinition, name: 'once' });
    const id = await created(await post('/v1/function', body, { key: 'fn-once' }));
    const again = await post('/v1/function', body, { key: 'fn-once', on: replica });
    expect(await created(again)).toBe(id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await eventsOf(`function-${id}`)).toEqual(['FunctionRegistered']);
    expect(
      (await post('/v1/function', body.replace('once', 'twice'), { key: 'fn-once' })).status,
    ).toBe(422);
  });

  test('a schedule created twice with one key is one schedule', async () => {
    const body = JSON.stringify({ functionId, cron: '0 9 * * *', timeZone: 'UTC' });
    const ids = await Promise.all(
      [harness.gateway, replica, harness.gateway].map((on) =>
        post('/v1/schedule', body, { key: 'daily', on }).then(created),
      ),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await eventsOf(`schedule-${ids[0]}`)).toEqual(['ScheduleCreated']);
  });

  test('a creation whose answer was not recorded is completed by the next request with the key', async () => {
    const body = JSON.stringify({ functionId, cron: '0 10 * * *', timeZone: 'UTC' });
    const id = await created(await post('/v1/schedule', body, { key: 'lost-answer' }));
    // As if the first gateway had stopped between creating the schedule and recording the answer.
    await sql`UPDATE idempotency.keys SET status = NULL, completed_at = NULL
              WHERE idempotency_key = 'lost-answer'`.execute(harness.db);
    expect(await created(await post('/v1/schedule', body, { key: 'lost-answer' }))).toBe(id);
    expect(await eventsOf(`schedule-${id}`)).toEqual(['ScheduleCreated']);
  });
});

/** A POST with headers fetch would not send as given (a repeated header, control characters). */
function rawPost(
  path: string,
  headers: Record<string, string | string[]>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${harness.gateway.url}${path}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-length': '0', ...headers },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}
