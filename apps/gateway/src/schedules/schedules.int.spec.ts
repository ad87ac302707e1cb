import { scheduleStreamId } from '@canopy/contracts';
import { schedulesProjection } from '@canopy/read-models/projections';
import { sql } from 'kysely';
import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness } from '../testing/gateway-harness.js';

// The schedule endpoints in-process against real PostgreSQL and NATS: read from the schedule's
// stream before the projection ran, from the read model (plus the stream's newer events) after.

let harness: GatewayHarness;
let token: string;
let strangerToken: string;
let functionId: string;
let strangerFunctionId: string;

const functionBody = {
  name: 'hello',
  capabilities: { timeout: 10 },
  runtime: { kind: 'process', command: '/bin/echo', args: ['hello'] },
};

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_schedules');
  token = await harness.tokenFor(await harness.createAccount('Owner'));
  strangerToken = await harness.tokenFor(await harness.createAccount('Stranger'));
  functionId = await registerFunction(token);
  strangerFunctionId = await registerFunction(strangerToken);
});

afterAll(async () => {
  await harness?.stop();
});

async function registerFunction(bearer: string): Promise<string> {
  const response = await send('POST', '/v1/function', bearer, functionBody);
  expect(response.status).toBe(201);
  return (response.body as { id: string }).id;
}

async function send(
  method: string,
  path: string,
  bearer: string,
  body?: unknown,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await harness.request(path, {
    method,
    token: bearer,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}

async function create(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await send('POST', '/v1/schedule', token, {
    functionId,
    cron: '0 9 * * 1-5',
    timeZone: 'Europe/Berlin',
    ...overrides,
  });
  expect(response).toMatchObject({ status: 201 });
  const { id } = response.body as { id: string };
  expect(id).toMatch(/^[0-9a-f]{24}$/);
  return id;
}

/** What the projector does for schedules: every event of the streams, replays included. */
async function project(...scheduleIds: string[]): Promise<void> {
  for (const scheduleId of scheduleIds) {
    const events = await harness.store.readStream(scheduleStreamId(scheduleId));
    await harness.db.transaction().execute(async (trx) => {
      for (const event of events) await schedulesProjection.apply(trx, event);
    });
  }
}

describe('POST /v1/schedule and GET /v1/schedule/:id', () => {
  test('creates a schedule that reads back whole, from the stream and from the read model', async () => {
    const id = await create({
      cron: '30 8 * * *',
      timeZone: 'utc',
      query: 'city=Berlin&units=metric',
      body: { report: 'daily' },
      startAt: '1767225600',
      endAt: 1798761600,
      name: 'daily report',
      description: 'every morning',
    });
    const expected = {
      id,
      functionId,
      cron: '30 8 * * *',
      timeZone: 'UTC',
      query: 'city=Berlin&units=metric',
      body: '{"report":"daily"}',
      contentType: 'application/json',
      startAt: '1767225600',
      endAt: '1798761600',
      name: 'daily report',
      description: 'every morning',
      paused: false,
      nextTickAt: expect.stringMatching(/^\d+$/) as unknown,
      lastTickAt: null,
      lastTaskId: null,
      createdAt: expect.stringMatching(/^\d+$/) as unknown,
    };
    const fromStream = await send('GET', `/v1/schedule/${id}`, token);
    expect(fromStream).toMatchObject({ status: 200, body: expected });
    // 2026-01-01T08:30:00Z: the first tick at or after startAt (2026-01-01T00:00:00Z), if still ahead.
    const next = Number((fromStream.body as { nextTickAt: string }).nextTickAt);
    expect(next % 86_400).toBe(8 * 3600 + 30 * 60);

    await project(id);
    const fromReadModel = await send('GET', `/v1/schedule/${id}`, token);
    // The same answer; the responses' headers differ by their request ids.
    expect({ status: fromReadModel.status, body: fromReadModel.body }).toEqual({
      status: fromStream.status,
      body: fromStream.body,
    });
  });

  test('defaults: empty query, body, name and description; JSON content type', async () => {
    const id = await create();
    expect((await send('GET', `/v1/schedule/${id}`, token)).body).toMatchObject({
      query: '',
      body: '',
      contentType: 'application/json',
      name: '',
      description: '',
      startAt: null,
      endAt: null,
    });
  });

  test('a 6-field cron ticks every second', async () => {
    const id = await create({ cron: '* * * * * *', timeZone: 'UTC' });
    const { nextTickAt } = (await send('GET', `/v1/schedule/${id}`, token)).body as {
      nextTickAt: string;
    };
    expect(Math.abs(Number(nextTickAt) - Date.now() / 1000)).toBeLessThan(60);
  });

  test.each([
    [{ cron: '61 * * * *' }, 400, 'INVALID_CRON', 'cron'],
    [{ cron: 'every day' }, 400, 'INVALID_CRON', 'cron'],
    [{ cron: undefined }, 400, 'INVALID_REQUEST', 'cron'],
    [{ timeZone: 'Mars/Olympus_Mons' }, 400, 'INVALID_TIME_ZONE', 'timeZone'],
    [{ timeZone: 3 }, 400, 'INVALID_REQUEST', 'timeZone'],
    [{ functionId: undefined }, 400, 'INVALID_REQUEST', 'functionId'],
    [{ functionId: 'not-an-id' }, 400, 'INVALID_REQUEST', 'functionId'],
    [{ functionId: 'f'.repeat(24) }, 404, 'FUNCTION_NOT_FOUND', 'functionId'],
    [{ startAt: '1767225600', endAt: '1767225600' }, 400, 'INVALID_SCHEDULE_WINDOW', 'endAt'],
    [{ startAt: '2026-01-01' }, 400, 'INVALID_REQUEST', 'startAt'],
    [{ query: '?a=1' }, 400, 'INVALID_REQUEST', 'query'],
    [{ body: '{not json' }, 400, 'INVALID_REQUEST', 'body'],
    [{ contentType: 'not a media type' }, 400, 'INVALID_REQUEST', 'contentType'],
    [{ timezone: 'UTC' }, 400, 'INVALID_REQUEST', 'timezone'],
  ])('%j answers %i %s naming %s', async (overrides, status, error, field) => {
    const response = await send('POST', '/v1/schedule', token, {
      functionId,
      cron: '* * * * *',
      timeZone: 'UTC',
      ...overrides,
    });
    expect(response).toMatchObject({ status, body: { error, field } });
  });

  test('a body that is not JSON is fine with another content type', async () => {
    const id = await create({ body: 'plain words', contentType: 'text/plain' });
    expect((await send('GET', `/v1/schedule/${id}`, token)).body).toMatchObject({
      body: 'plain words',
      contentType: 'text/plain',
    });
  });

  test("another account's function is not found", async () => {
    const response = await send('POST', '/v1/schedule', token, {
      functionId: strangerFunctionId,
      cron: '* * * * *',
      timeZone: 'UTC',
    });
    expect(response).toMatchObject({ status: 404, body: { error: 'FUNCTION_NOT_FOUND' } });
  });

  test('a malformed id is a 400 naming scheduleId; a missing one a 404', async () => {
    expect(await send('GET', '/v1/schedule/nope', token)).toMatchObject({
      status: 400,
      body: { field: 'scheduleId' },
    });
    expect(await send('GET', `/v1/schedule/${'e'.repeat(24)}`, token)).toMatchObject({
      status: 404,
      body: { error: 'SCHEDULE_NOT_FOUND' },
    });
  });

  test('needs a token', async () => {
    expect((await harness.request('/v1/schedule/list')).status).toBe(401);
  });
});

describe('PATCH /v1/schedule/:id', () => {
  test('pauses, resumes and changes, from the stream or from the read model and the stream', async () => {
    const id = await create({
      cron: '* * * * *',
      timeZone: 'UTC',
      body: 'x',
      contentType: 'text/plain',
    });
    const paused = await send('PATCH', `/v1/schedule/${id}`, token, { paused: true });
    expect(paused).toMatchObject({ status: 200, body: { id, paused: true, nextTickAt: null } });

    await project(id);
    const changed = await send('PATCH', `/v1/schedule/${id}`, token, {
      paused: false,
      cron: '*/5 * * * *',
      name: 'five',
      startAt: null,
    });
    expect(changed).toMatchObject({
      status: 200,
      body: { paused: false, cron: '*/5 * * * *', name: 'five', body: 'x' },
    });
    expect(Number((changed.body as { nextTickAt: string }).nextTickAt) % 300).toBe(0);
    // The read model is behind the stream now: GET adds the newer events.
    expect((await send('GET', `/v1/schedule/${id}`, token)).body).toEqual(changed.body);
    await project(id);
    expect((await send('GET', `/v1/schedule/${id}`, token)).body).toEqual(changed.body);

    const types = (await harness.store.readStream(scheduleStreamId(id))).map((event) => event.type);
    expect(types).toEqual([
      'ScheduleCreated',
      'SchedulePaused',
      'ScheduleChanged',
      'ScheduleResumed',
    ]);
  });

  test('the same values again change nothing', async () => {
    const id = await create();
    await send('PATCH', `/v1/schedule/${id}`, token, { paused: false, cron: '0 9 * * 1-5' });
    expect(await harness.store.readStream(scheduleStreamId(id))).toHaveLength(1);
  });

  test('checks what it changes, naming the field', async () => {
    const id = await create({ body: '{"a":1}' });
    const patch = (body: unknown) => send('PATCH', `/v1/schedule/${id}`, token, body);
    expect(await patch({ cron: '* *' })).toMatchObject({
      status: 400,
      body: { error: 'INVALID_CRON', field: 'cron' },
    });
    expect(await patch({ timeZone: 'Nowhere' })).toMatchObject({
      status: 400,
      body: { field: 'timeZone' },
    });
    expect(await patch({ paused: 'yes' })).toMatchObject({
      status: 400,
      body: { field: 'paused' },
    });
    expect(await patch({ functionId })).toMatchObject({
      status: 400,
      body: { field: 'functionId' },
    });
    expect(await patch({ body: 'not json' })).toMatchObject({
      status: 400,
      body: { field: 'body' },
    });
    expect(await patch({ startAt: '2000000000', endAt: '1900000000' })).toMatchObject({
      status: 400,
      body: { error: 'INVALID_SCHEDULE_WINDOW', field: 'endAt' },
    });
    // Plain text becomes fine once the content type says so.
    expect(await patch({ body: 'not json', contentType: 'text/plain' })).toMatchObject({
      status: 200,
    });
  });
});

describe('DELETE /v1/schedule/:id', () => {
  test('204, then 404 everywhere; gone from the list', async () => {
    const id = await create();
    await project(id);
    expect((await send('DELETE', `/v1/schedule/${id}`, token)).status).toBe(204);
    for (const projected of [false, true]) {
      if (projected) await project(id);
      expect(await send('GET', `/v1/schedule/${id}`, token)).toMatchObject({
        status: 404,
        body: { error: 'SCHEDULE_NOT_FOUND' },
      });
      expect(await send('PATCH', `/v1/schedule/${id}`, token, { paused: true })).toMatchObject({
        status: 404,
      });
      expect((await send('DELETE', `/v1/schedule/${id}`, token)).status).toBe(404);
    }
    const list = (await send('GET', '/v1/schedule/list?limit=500', token)).body as { id: string }[];
    expect(list.map((entry) => entry.id)).not.toContain(id);
  });
});

describe('another account', () => {
  test('sees none of the schedules: 404 SCHEDULE_NOT_FOUND, empty list', async () => {
    const id = await create();
    for (const projected of [false, true]) {
      if (projected) await project(id);
      expect(await send('GET', `/v1/schedule/${id}`, strangerToken)).toMatchObject({
        status: 404,
        body: { error: 'SCHEDULE_NOT_FOUND' },
      });
      expect(
        await send('PATCH', `/v1/schedule/${id}`, strangerToken, { paused: true }),
      ).toMatchObject({
        status: 404,
        body: { error: 'SCHEDULE_NOT_FOUND' },
      });
      expect(await send('DELETE', `/v1/schedule/${id}`, strangerToken)).toMatchObject({
        status: 404,
        body: { error: 'SCHEDULE_NOT_FOUND' },
      });
    }
    expect((await send('GET', '/v1/schedule/list', strangerToken)).body).toEqual([]);
    expect((await send('GET', `/v1/schedule/${id}`, token)).body).toMatchObject({ paused: false });
  });
});

describe('GET /v1/schedule/list', () => {
  test('newest first, in keyset pages with a Link to the next', async () => {
    const account = await harness.createAccount('Lister');
    const listerToken = await harness.tokenFor(account);
    const fn = await registerFunction(listerToken);
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const response = await send('POST', '/v1/schedule', listerToken, {
        functionId: fn,
        cron: '* * * * *',
        timeZone: 'UTC',
        name: `s${index}`,
      });
      ids.push((response.body as { id: string }).id);
    }
    await project(...ids);
    const seen: string[] = [];
    let path: string | null = '/v1/schedule/list?limit=2';
    while (path !== null) {
      const page = await send('GET', path, listerToken);
      expect(page.status).toBe(200);
      seen.push(...(page.body as { id: string }[]).map((entry) => entry.id));
      const link = page.headers.get('link');
      path = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null);
    }
    expect(seen).toEqual([...ids].reverse());
    const { rows } = await sql<{ count: string }>`
      SELECT count(*) AS count FROM api.schedules WHERE account_id = ${account.accountId}`.execute(
      harness.db,
    );
    expect(Number(rows[0]?.count)).toBe(3);
  });
});
