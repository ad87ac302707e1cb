import { exampleFunctionDefinition } from '@canopy/contracts/testing';
import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness } from '../testing/gateway-harness.js';

// POST /v1/task/:functionId/batch in-process against real PostgreSQL and NATS, with a stand-in
// scheduler that records TaskIssued in the real event store.

const BODY_LIMIT = 4096;
const BATCH_BODY_LIMIT = 262_144;

let harness: GatewayHarness;
let token: string;
let strangerToken: string;
let functionId: string;

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_task_batch', {
    GATEWAY_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    GATEWAY_BATCH_BODY_LIMIT_BYTES: String(BATCH_BODY_LIMIT),
    GATEWAY_ISSUE_TIMEOUT_MS: '3000',
  });
  token = await harness.tokenFor(await harness.createAccount('Owner'));
  strangerToken = await harness.tokenFor(await harness.createAccount('Stranger'));
  const registered = await harness.request('/v1/function', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(exampleFunctionDefinition),
  });
  functionId = ((await registered.json()) as { id: string }).id;
});

afterAll(async () => {
  await harness?.stop();
});

function postBatch(
  body: string,
  options: { fn?: string; token?: string; key?: string } = {},
): Promise<Response> {
  return harness.request(`/v1/task/${options.fn ?? functionId}/batch`, {
    method: 'POST',
    token: options.token ?? token,
    headers: {
      'content-type': 'application/json',
      ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
    },
    body,
  });
}

async function issuedRequestOf(taskId: string): Promise<unknown> {
  const [issued] = await harness.store.readStream(`task-${taskId}`);
  return (issued?.data as { request?: unknown } | undefined)?.request;
}

describe('with no scheduler listening', () => {
  test('with no scheduler listening: 503, and nothing is recorded', async () => {
    const response = await postBatch('[{"body":"lost","contentType":"text/plain"}]');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
  });
});

describe('with a scheduler', () => {
  let scheduler: ReturnType<GatewayHarness['standInScheduler']>;
  beforeAll(() => {
    scheduler = harness.standInScheduler();
  });
  afterAll(() => scheduler.stop());

  test('answers every request in order: an id for each task issued, an error for each invalid one', async () => {
    const response = await postBatch(
      JSON.stringify([
        { query: 'city=Berlin', body: { report: 'daily' } },
        { query: 'a=1', body: '{not json' },
        { contentType: 'text/plain', body: 'hello' },
        { surprise: true },
        { contentType: 'application/octet-stream', body: 'AAEC/w==', bodyEncoding: 'base64' },
        { contentType: null },
        { body: 'not base64!', bodyEncoding: 'base64' },
        { body: 'x'.repeat(BODY_LIMIT + 1), contentType: 'text/plain' },
        'not an object',
      ]),
    );
    expect(response.status).toBe(200);
    const answer = (await response.json()) as Record<string, unknown>[];
    expect(answer).toEqual([
      { status: 201, id: expect.stringMatching(/^[0-9a-f]{24}$/) as string },
      {
        status: 400,
        error: 'INVALID_REQUEST',
        message: 'body is declared as JSON but is not valid JSON',
        field: 'body',
      },
      { status: 201, id: expect.any(String) as string },
      {
        status: 400,
        error: 'INVALID_REQUEST',
        message: expect.any(String) as string,
        field: 'surprise',
      },
      { status: 201, id: expect.any(String) as string },
      { status: 201, id: expect.any(String) as string },
      {
        status: 400,
        error: 'INVALID_REQUEST',
        message: 'body must be base64 (RFC 4648, padded) with bodyEncoding "base64"',
        field: 'body',
      },
      {
        status: 413,
        error: 'PAYLOAD_TOO_LARGE',
        message: `the body exceeds ${BODY_LIMIT} bytes, the most a task may have`,
        field: 'body',
      },
      {
        status: 400,
        error: 'INVALID_REQUEST',
        message: expect.any(String) as string,
      },
    ]);
    const ids = answer.flatMap((entry) => (entry['status'] === 201 ? [entry['id'] as string] : []));
    expect(new Set(ids).size).toBe(4);
    expect(await issuedRequestOf(ids[0] as string)).toEqual({
      query: 'city=Berlin',
      contentType: 'application/json',
      body: Buffer.from('{"report":"daily"}').toString('base64'),
    });
    expect(await issuedRequestOf(ids[1] as string)).toEqual({
      query: '',
      contentType: 'text/plain',
      body: Buffer.from('hello').toString('base64'),
    });
    expect(await issuedRequestOf(ids[2] as string)).toEqual({
      query: '',
      contentType: 'application/octet-stream',
      body: 'AAEC/w==',
    });
    expect(await issuedRequestOf(ids[3] as string)).toEqual({
      query: '',
      contentType: null,
      body: '',
    });
    // The tasks read back like any other, at once.
    const task = await harness.request(`/v1/task/${ids[0]}`, { token });
    expect(task.status).toBe(200);
  });

  // (1000 at once against the real scheduler: apps/platform-e2e.)
  test('many requests are issued in one go', async () => {
    const response = await postBatch(
      JSON.stringify(Array.from({ length: 200 }, (_, index) => ({ query: `n=${index}` }))),
    );
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { status: number; id: string }[];
    expect(answer).toHaveLength(200);
    expect(answer.every((entry) => entry.status === 201)).toBe(true);
    expect(new Set(answer.map((entry) => entry.id)).size).toBe(200);
    expect(await issuedRequestOf(answer[199]?.id as string)).toMatchObject({ query: 'n=199' });
  });

  test('with an Idempotency-Key a repeat names the same tasks and issues nothing more', async () => {
    const body = JSON.stringify([{ body: 'one' }, { body: '{bad' }, { body: 'three' }]);
    const first = await postBatch(body, { key: 'nightly-batch' });
    const again = await postBatch(body, { key: 'nightly-batch' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const firstAnswer = (await first.json()) as { id?: string }[];
    expect(await again.json()).toEqual(firstAnswer);
    for (const entry of firstAnswer) {
      if (entry.id !== undefined) {
        expect((await harness.store.readStream(`task-${entry.id}`)).length).toBe(1);
      }
    }
    expect((await postBatch('[{"body":"other"}]', { key: 'nightly-batch' })).status).toBe(422);
  });

  test.each([
    ['not JSON', '[{'],
    ['not an array', '{"query":"a=1"}'],
    ['empty', '[]'],
    ['too long', JSON.stringify(Array.from({ length: 1001 }, () => ({})))],
  ])('a body that is %s is a 400', async (_what, body) => {
    const response = await postBatch(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'INVALID_REQUEST' });
  });

  test("an unknown function, or another account's, is a 404", async () => {
    expect((await postBatch('[{}]', { fn: 'f'.repeat(24) })).status).toBe(404);
    expect((await postBatch('[{}]', { token: strangerToken })).status).toBe(404);
  });

  test('a body over the batch limit is a 413; a malformed function id a 400', async () => {
    const tooLarge = await postBatch(`["${'x'.repeat(BATCH_BODY_LIMIT)}"]`);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toEqual({
      error: 'PAYLOAD_TOO_LARGE',
      message: `the request body exceeds ${BATCH_BODY_LIMIT} bytes`,
    });
    expect((await postBatch('[{}]', { fn: 'nope' })).status).toBe(400);
  });

  test('needs a token', async () => {
    const response = await harness.request(`/v1/task/${functionId}/batch`, {
      method: 'POST',
      body: '[{}]',
    });
    expect(response.status).toBe(401);
  });
});
