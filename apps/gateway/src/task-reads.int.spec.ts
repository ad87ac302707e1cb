import { eventually } from '@canopy/async-testing';
import { taskCommand, taskNotificationSubject } from '@canopy/contracts';
import type { NewTaskResultRow, NewTaskRow } from '@canopy/read-models';
import { sql } from 'kysely';
import { startGatewayHarness } from './testing/gateway-harness.js';
import type { GatewayHarness, TestAccount } from './testing/gateway-harness.js';

// Lists, CSV exports and results over read-model rows written here as the projector would write
// them, and results read from the event store while the projector has not caught up.

let harness: GatewayHarness;
let owner: TestAccount;
let token: string;
let strangerToken: string;
let functionId: string;
let otherFunctionId: string;

const scheduleId = '6677391a241c7178b29e4a4a';
let sequence = 0;

/** A task id that sorts after every earlier one. */
function nextTaskId(): string {
  sequence += 1;
  return `7${sequence.toString(16).padStart(23, '0')}`;
}

function taskRow(overrides: Partial<NewTaskRow> & { issued_at: string }): NewTaskRow {
  return {
    task_id: nextTaskId(),
    account_id: owner.accountId,
    function_id: functionId,
    schedule_id: null,
    state: 'pending',
    progress: 0,
    status: 0,
    timeout_seconds: 10,
    cpu_count: 1,
    mem_size: 128,
    network_latency: 0,
    privileged: false,
    last_stream_version: 1,
    ...overrides,
  };
}

async function insertTask(
  overrides: Partial<NewTaskRow> & { issued_at: string },
  result?: Omit<NewTaskResultRow, 'task_id' | 'finished_at'>,
): Promise<string> {
  const finishedAt = overrides.finished_at ?? '2024-06-22T22:00:00Z';
  const row = taskRow(
    result === undefined
      ? overrides
      : {
          state: 'finished',
          status: result.status,
          progress: 100,
          finished_at: finishedAt,
          ...overrides,
        },
  );
  await harness.db.insertInto('api.tasks').values(row).execute();
  if (result !== undefined) {
    await harness.db
      .insertInto('api.task_results')
      .values({ ...result, task_id: row.task_id, finished_at: finishedAt })
      .execute();
  }
  return row.task_id;
}

async function registerFunction(bearer: string): Promise<string> {
  const response = await harness.request('/v1/function', {
    method: 'POST',
    token: bearer,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'fn',
      capabilities: { timeout: 10 },
      runtime: { kind: 'process', command: 'true' },
    }),
  });
  return ((await response.json()) as { id: string }).id;
}

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_reads');
  owner = await harness.createAccount('Owner');
  token = await harness.tokenFor(owner);
  strangerToken = await harness.tokenFor(await harness.createAccount('Stranger'));
  functionId = await registerFunction(token);
  otherFunctionId = await registerFunction(token);
});

afterAll(async () => {
  await harness?.stop();
});

describe('GET /v1/task/list', () => {
  let ids: string[];

  beforeAll(async () => {
    // Seven tasks on 2024-05-01 .. 2024-05-07, one per day at 12:00 UTC, newest last; odd days
    // finished with 200, the fourth failed with 504, of the other function on even days.
    ids = [];
    for (let day = 1; day <= 7; day += 1) {
      const issuedAt = `2024-05-0${day}T12:00:00Z`;
      if (day === 4) {
        ids.push(
          await insertTask({
            issued_at: issuedAt,
            function_id: otherFunctionId,
            state: 'failed',
            status: 504,
            failure_reason: 'TIMEOUT',
            progress: 40,
            finished_at: '2024-05-04T12:01:00Z',
          }),
        );
      } else if (day % 2 === 1) {
        ids.push(
          await insertTask(
            { issued_at: issuedAt },
            { status: 200, content_type: 'text/plain', headers: {}, body: Buffer.from('ok') },
          ),
        );
      } else {
        ids.push(
          await insertTask({ issued_at: issuedAt, function_id: otherFunctionId, progress: 25 }),
        );
      }
    }
  });

  const list = async (query: string, bearer = token) => {
    const response = await harness.request(`/v1/task/list${query}`, { token: bearer });
    return { response, body: (await response.json()) as unknown };
  };
  const idsOf = (body: unknown) => (body as { id: string }[]).map((task) => task.id);
  const mine = (body: unknown) => idsOf(body).filter((id) => ids.includes(id));

  test('is the contract’s bare array, newest first', async () => {
    const { response, body } = await list('?since=2024-05-01&until=2024-05-07');
    expect(response.status).toBe(200);
    expect(body).toEqual([...ids].reverse().map((id) => expect.objectContaining({ id })));
    expect((body as unknown[])[0]).toEqual({
      id: ids[6],
      issued: String(Date.UTC(2024, 4, 7, 12) / 1000),
      progress: 100,
      status: 200,
    });
    expect((body as unknown[])[3]).toEqual({
      id: ids[3],
      issued: String(Date.UTC(2024, 4, 4, 12) / 1000),
      progress: 40,
      status: 504,
    });
  });

  test('pages follow the Link header to the end, each task once', async () => {
    const seen: string[] = [];
    let path: string | null = '/v1/task/list?limit=3&until=2024-05-07';
    let pages = 0;
    while (path !== null) {
      const response = await harness.request(path, { token });
      expect(response.status).toBe(200);
      seen.push(...idsOf(await response.json()));
      const link = response.headers.get('link');
      path = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null);
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  test.each([
    ['a function', () => `?functionId=${otherFunctionId}`, [5, 3, 1]],
    ['a status', () => '?status=200', [6, 4, 2, 0]],
    ['not finished yet', () => '?status=0', [5, 1]],
    ['a day range', () => '?since=2024-05-02&until=2024-05-03', [2, 1]],
    ['unix seconds', () => `?since=${Date.UTC(2024, 4, 6, 12) / 1000}`, [6, 5]],
    [
      'both ends on one second',
      () => `?since=${Date.UTC(2024, 4, 6, 12) / 1000}&until=${Date.UTC(2024, 4, 6, 12) / 1000}`,
      [5],
    ],
  ] as [string, () => string, number[]][])('filters by %s', async (_name, query, expected) => {
    const { response, body } = await list(query());
    expect(response.status).toBe(200);
    expect(mine(body)).toEqual(expected.map((index) => ids[index]));
  });

  test.each([
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?status=abc', 'status'],
    ['?functionId=xyz', 'functionId'],
    ['?since=2025-24-03', 'since'],
    ['?since=2024-05-03&until=2024-05-02', 'since'],
    ['?cursor=bogus', 'cursor'],
  ])('%s is a 400 naming %s', async (query, field) => {
    const { response, body } = await list(query);
    expect(response.status).toBe(400);
    expect(body).toMatchObject({ error: 'INVALID_REQUEST', field });
  });

  test('another account sees none of these tasks, nor their details or results', async () => {
    expect(mine((await list('', strangerToken)).body)).toEqual([]);
    for (const path of [`/v1/task/${ids[0]}`, `/v1/task/${ids[0]}/result`]) {
      expect((await harness.request(path, { token: strangerToken })).status).toBe(404);
    }
  });

  test('one task from the read model, with the contract’s fields', async () => {
    const response = await harness.request(`/v1/task/${ids[3]}`, { token });
    expect(await response.json()).toEqual({
      id: ids[3],
      functionId: otherFunctionId,
      issued: String(Date.UTC(2024, 4, 4, 12) / 1000),
      assigned: null,
      finished: String(Date.UTC(2024, 4, 4, 12, 1) / 1000),
      progress: 40,
      node: null,
      timeout: 10,
      capabilities: { cpuCount: 1, memSize: 128, networkLatency: 0, privileged: false },
      status: 504,
    });
  });
});

describe('GET /v1/task/:functionId/csv', () => {
  let csvFunction: string;
  let rows: Record<string, string>;

  beforeAll(async () => {
    csvFunction = await registerFunction(token);
    const text = (content: string) => ({
      status: 200,
      content_type: 'text/plain',
      headers: {},
      body: Buffer.from(content),
    });
    rows = {
      plain: await insertTask(
        { function_id: csvFunction, issued_at: '2024-06-22T21:05:48.250Z' },
        text('I am a storage Test!'),
      ),
      quoted: await insertTask(
        { function_id: csvFunction, issued_at: '2024-06-22T21:06:34Z', schedule_id: scheduleId },
        text('a,"b"\r\nc'),
      ),
      formula: await insertTask(
        { function_id: csvFunction, issued_at: '2024-06-23T00:00:00Z', schedule_id: scheduleId },
        { status: 201, content_type: '=cmd|calc', headers: {}, body: Buffer.from('=1+1') },
      ),
      pending: await insertTask({ function_id: csvFunction, issued_at: '2024-06-23T23:59:59Z' }),
      failed: await insertTask({
        function_id: csvFunction,
        issued_at: '2024-06-24T00:00:00Z',
        state: 'failed',
        status: 503,
        failure_reason: 'NO_RUNNER',
        finished_at: '2024-06-24T00:05:00Z',
      }),
    };
    await insertTask({ function_id: functionId, issued_at: '2024-06-22T21:07:00Z' });
  });

  const csv = (query = '', bearer = token, fn = csvFunction) =>
    harness.request(`/v1/task/${fn}/csv${query}`, { token: bearer });

  test('is RFC 4180 text/csv, oldest first, bodies in base64 by default', async () => {
    const response = await csv();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    expect(await response.text()).toBe(
      [
        'ID,IssuedAt,Status,ContentType,Body',
        `${rows['plain']},2024-06-22T21:05:48Z,200,text/plain,${b64('I am a storage Test!')}`,
        `${rows['quoted']},2024-06-22T21:06:34Z,200,text/plain,${b64('a,"b"\r\nc')}`,
        `${rows['formula']},2024-06-23T00:00:00Z,201,'=cmd|calc,${b64('=1+1')}`,
        `${rows['pending']},2024-06-23T23:59:59Z,0,,`,
        `${rows['failed']},2024-06-24T00:00:00Z,503,,`,
        '',
      ].join('\r\n'),
    );
  });

  test('showPlain=true gives the bodies as text, quoted and neutralised', async () => {
    const text = await (await csv('?showPlain=true')).text();
    expect(text).toContain(
      `${rows['plain']},2024-06-22T21:05:48Z,200,text/plain,I am a storage Test!\r\n`,
    );
    expect(text).toContain(
      `${rows['quoted']},2024-06-22T21:06:34Z,200,text/plain,"a,""b""\r\nc"\r\n`,
    );
    expect(text).toContain(`${rows['formula']},2024-06-23T00:00:00Z,201,'=cmd|calc,'=1+1\r\n`);
  });

  test.each([
    ['a schedule', `?scheduleId=${scheduleId}&showPlain=false`, ['quoted', 'formula']],
    ['the contract’s scheduledId spelling', `?scheduledId=${scheduleId}`, ['quoted', 'formula']],
    ['days, both inclusive', '?dateSince=2024-06-23&dateUntil=2024-06-23', ['formula', 'pending']],
    ['a since day only', '?dateSince=2024-06-24', ['failed']],
    [
      'the path’s own functionId',
      '?functionId=PATH',
      ['plain', 'quoted', 'formula', 'pending', 'failed'],
    ],
  ])('filters by %s', async (_name, query, expected) => {
    const response = await csv(query.replace('PATH', csvFunction));
    expect(response.status).toBe(200);
    const ids = (await response.text())
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.split(',')[0]);
    expect(ids).toEqual(expected.map((name) => rows[name]));
  });

  test.each([
    ['?functionId=6405848581b16f7a07cd4c48', 'functionId'],
    ['?dateSince=2025-24-03', 'dateSince'],
    ['?dateUntil=2025-24-03', 'dateUntil'],
    ['?dateSince=2024-06-24&dateUntil=2024-06-23', 'dateSince'],
    ['?showPlain=yes', 'showPlain'],
    ['?scheduleId=123', 'scheduleId'],
  ])('%s is a 400 naming %s', async (query, field) => {
    const response = await csv(query);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'INVALID_REQUEST', field });
  });

  test('an unknown function and another account’s function are 404s', async () => {
    expect((await csv('', token, '6405848581b16f7a07cd4c48')).status).toBe(404);
    const foreign = await csv('', strangerToken);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual({
      error: 'NOT_FOUND',
      message: `no function ${csvFunction}`,
    });
  });

  test('a large export streams every row, across many chunks, in order', async () => {
    const big = await registerFunction(token);
    await sql`
      INSERT INTO api.tasks (task_id, account_id, function_id, state, status, progress, timeout_seconds,
        cpu_count, mem_size, network_latency, privileged, issued_at, last_stream_version)
      SELECT '8' || lpad(to_hex(i), 23, '0'), ${owner.accountId}, ${big}, 'finished', 200, 100, 10,
             0, 0, 0, false, timestamptz '2024-01-01' + i * interval '1 second', 1
      FROM generate_series(1, 4500) AS i
    `.execute(harness.db);
    await sql`
      INSERT INTO api.task_results (task_id, status, content_type, body, finished_at)
      SELECT task_id, 200, 'application/octet-stream', convert_to(task_id, 'UTF8'), now()
      FROM api.tasks WHERE function_id = ${big}
    `.execute(harness.db);
    const lines = (await (await csv('?showPlain=true', token, big)).text()).split('\r\n');
    expect(lines).toHaveLength(4500 + 2);
    const ids = lines.slice(1, -1).map((line) => line.split(',')[0]);
    expect(ids).toEqual(
      Array.from({ length: 4500 }, (_unused, i) => `8${(i + 1).toString(16).padStart(23, '0')}`),
    );
    expect(lines.slice(1, -1).every((line) => line.endsWith(`,${line.split(',')[0]}`))).toBe(true);
  });
});

describe('GET /v1/task/:taskId/result', () => {
  const result = (taskId: string, query = '') =>
    harness.request(`/v1/task/${taskId}/result${query}`, { token });

  test('a text result is the function’s response: status, content type, headers, body', async () => {
    const taskId = await insertTask(
      { issued_at: '2024-07-01T00:00:00Z' },
      {
        status: 200,
        content_type: 'text/plain; charset=utf-8',
        headers: {
          'x-duration-ms': '12',
          'set-cookie': 'session=1',
          'content-length': '999',
          connection: 'close',
        },
        body: Buffer.from('Hello from GreenCloud!'),
      },
    );
    const response = await result(taskId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('x-duration-ms')).toBe('12');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('content-length')).toBe(String('Hello from GreenCloud!'.length));
    expect(await response.text()).toBe('Hello from GreenCloud!');
  });

  test('a JSON result and the function’s own error status pass through unchanged', async () => {
    const body = '{"Status":"OK","Active":true,"Nodes":["west","south"],"Count":40}';
    const ok = await insertTask(
      { issued_at: '2024-07-01T00:00:01Z' },
      { status: 200, content_type: 'application/json', headers: {}, body: Buffer.from(body) },
    );
    const response = await result(ok);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe(body);

    const notFound = await insertTask(
      { issued_at: '2024-07-01T00:00:02Z' },
      { status: 404, content_type: 'text/html', headers: {}, body: Buffer.from('<h1>nope</h1>') },
    );
    const functionsNotFound = await result(notFound);
    expect(functionsNotFound.status).toBe(404);
    expect(await functionsNotFound.text()).toBe('<h1>nope</h1>');
  });

  test('a binary result arrives byte for byte', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const taskId = await insertTask(
      { issued_at: '2024-07-01T00:00:03Z' },
      { status: 200, content_type: 'image/png', headers: {}, body: bytes },
    );
    const response = await result(taskId);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  test('a task not finished yet is a 202 with its progress and Retry-After', async () => {
    const taskId = await insertTask({
      issued_at: '2024-07-01T00:00:04Z',
      state: 'assigned',
      progress: 75,
      node_id: 'n1',
    });
    const response = await result(taskId);
    expect(response.status).toBe(202);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({ progress: 75, status: 0 });
  });

  test.each([
    ['TIMEOUT', 504],
    ['NO_RUNNER', 503],
    ['NODE_LOST', 502],
    ['CANCELLED', 499],
  ])('a task the platform failed with %s answers %d naming the reason', async (reason, status) => {
    const taskId = await insertTask({
      issued_at: '2024-07-01T00:00:05Z',
      state: 'failed',
      status,
      failure_reason: reason,
      finished_at: '2024-07-01T00:01:00Z',
    });
    const response = await result(taskId);
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: reason, message: expect.any(String) });
  });

  test.each(['61', '-1', 'soon', '1.5'])('?wait=%s is a 400 naming wait', async (wait) => {
    const taskId = await insertTask({ issued_at: '2024-07-01T00:00:06Z' });
    const response = await result(taskId, `?wait=${wait}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'wait' });
  });

  test('?wait holds the request until a notification says the result is there', async () => {
    const taskId = await insertTask({
      issued_at: '2024-07-01T00:00:07Z',
      state: 'assigned',
      node_id: 'n1',
    });
    // Longer than Jest's 30 s test timeout: only the notification can end this request in time.
    const waiting = result(taskId, '?wait=60');
    await eventually(async () => expect(harness.gateway.waitingForResults()).toBe(1));

    await harness.db
      .updateTable('api.tasks')
      .set({ state: 'finished', status: 200, progress: 100, finished_at: '2024-07-01T00:00:09Z' })
      .where('task_id', '=', taskId)
      .execute();
    await harness.db
      .insertInto('api.task_results')
      .values({
        task_id: taskId,
        status: 200,
        content_type: 'text/plain',
        headers: {},
        body: Buffer.from('done'),
        finished_at: '2024-07-01T00:00:09Z',
      })
      .execute();
    harness.nats.publish(
      taskNotificationSubject(taskId),
      JSON.stringify({ taskId, state: 'FINISHED' }),
    );

    const response = await waiting;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('done');
    expect(harness.gateway.waitingForResults()).toBe(0);
  });

  test('?wait ends with a 202 when the result does not come in time', async () => {
    const taskId = await insertTask({ issued_at: '2024-07-01T00:00:08Z', progress: 10 });
    const response = await result(taskId, '?wait=1');
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ progress: 10, status: 0 });
  });

  test('?wait answers at once for a finished task', async () => {
    const taskId = await insertTask(
      { issued_at: '2024-07-01T00:00:09Z' },
      { status: 200, content_type: 'text/plain', headers: {}, body: Buffer.from('at once') },
    );
    const response = await result(taskId, '?wait=60');
    expect(await response.text()).toBe('at once');
  });

  describe('before the projector has caught up', () => {
    let scheduler: ReturnType<GatewayHarness['standInScheduler']>;
    beforeAll(() => {
      scheduler = harness.standInScheduler();
    });
    afterAll(() => scheduler.stop());

    async function issueTask(): Promise<string> {
      const response = await harness.request(`/v1/task/${functionId}?q=1`, {
        method: 'POST',
        token,
        headers: { 'content-type': 'text/plain' },
        body: 'input',
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { id: string }).id;
    }

    test('a finished task’s result and details are read from its stream', async () => {
      const taskId = await issueTask();
      const now = new Date().toISOString();
      await harness.decideOnTask(
        taskCommand('AssignTask', { taskId, nodeId: 'n1', attempt: 1, now }),
      );
      await harness.decideOnTask(
        taskCommand('FinishTask', {
          taskId,
          nodeId: 'n1',
          attempt: 1,
          response: {
            status: 201,
            contentType: 'application/json',
            headers: { 'x-from': 'node', 'transfer-encoding': 'chunked' },
            body: Buffer.from('{"made":true}').toString('base64'),
          },
          now,
        }),
      );
      const response = await result(taskId);
      expect(response.status).toBe(201);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('x-from')).toBe('node');
      expect(await response.text()).toBe('{"made":true}');

      const details = (await (
        await harness.request(`/v1/task/${taskId}`, { token })
      ).json()) as Record<string, unknown>;
      expect(details).toMatchObject({ id: taskId, node: 'n1', progress: 100, status: 201 });
      expect(details['assigned']).toMatch(/^\d+$/);
      expect(details['finished']).toMatch(/^\d+$/);
    });

    test('a failed task answers its platform status from the stream', async () => {
      const taskId = await issueTask();
      await harness.decideOnTask(
        taskCommand('FailTask', {
          taskId,
          reason: 'NO_RUNNER',
          message: 'no node',
          now: new Date().toISOString(),
        }),
      );
      const response = await result(taskId);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: 'NO_RUNNER', message: expect.any(String) });
    });

    test('a waiting request is answered with the outcome the scheduler’s notification carried, for its account only', async () => {
      const taskId = await issueTask();
      // Longer than Jest's test timeout: only the notification can end this request in time.
      const waiting = result(taskId, '?wait=60');
      await eventually(async () => expect(harness.gateway.waitingForResults()).toBe(1));
      // Nothing recorded in the stream: the answer can only come from the notification.
      harness.nats.publish(
        taskNotificationSubject(taskId),
        JSON.stringify({
          taskId,
          state: 'FINISHED',
          accountId: owner.accountId,
          response: {
            status: 200,
            contentType: 'text/plain',
            headers: { 'x-from': 'notification' },
            body: Buffer.from('carried').toString('base64'),
          },
        }),
      );
      const response = await waiting;
      expect(response.status).toBe(200);
      expect(response.headers.get('x-from')).toBe('notification');
      expect(await response.text()).toBe('carried');
      // Remembered for a later request of the same account; another account reads, and sees nothing.
      expect(await (await result(taskId)).text()).toBe('carried');
      const foreign = await harness.request(`/v1/task/${taskId}/result`, { token: strangerToken });
      expect(foreign.status).toBe(404);
    });

    test('a carried failure answers its platform status', async () => {
      const taskId = await issueTask();
      harness.nats.publish(
        taskNotificationSubject(taskId),
        JSON.stringify({
          taskId,
          state: 'FAILED',
          accountId: owner.accountId,
          failure: { reason: 'TIMEOUT', status: 504 },
        }),
      );
      await eventually(async () => expect((await result(taskId)).status).toBe(504));
    });

    test('a notification without the outcome (a large body) sends the waiting request to the stream', async () => {
      const taskId = await issueTask();
      const waiting = result(taskId, '?wait=60');
      await eventually(async () => expect(harness.gateway.waitingForResults()).toBe(1));
      const now = new Date().toISOString();
      await harness.decideOnTask(
        taskCommand('AssignTask', { taskId, nodeId: 'n3', attempt: 1, now }),
      );
      await harness.decideOnTask(
        taskCommand('FinishTask', {
          taskId,
          nodeId: 'n3',
          attempt: 1,
          response: {
            status: 200,
            contentType: 'text/plain',
            headers: {},
            body: Buffer.from('from the stream').toString('base64'),
          },
          now,
        }),
      );
      harness.nats.publish(
        taskNotificationSubject(taskId),
        JSON.stringify({ taskId, state: 'FINISHED', accountId: owner.accountId }),
      );
      const response = await waiting;
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('from the stream');
    });

    test('a row the projector left behind the stream does not hide the result', async () => {
      const taskId = await issueTask();
      await harness.db
        .insertInto('api.tasks')
        .values(taskRow({ task_id: taskId, issued_at: new Date().toISOString(), progress: 30 }))
        .execute();
      const now = new Date().toISOString();
      await harness.decideOnTask(
        taskCommand('AssignTask', { taskId, nodeId: 'n2', attempt: 1, now }),
      );
      await harness.decideOnTask(
        taskCommand('FinishTask', {
          taskId,
          nodeId: 'n2',
          attempt: 1,
          response: {
            status: 200,
            contentType: 'text/plain',
            headers: {},
            body: Buffer.from('fresh').toString('base64'),
          },
          now,
        }),
      );
      const response = await result(taskId);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('fresh');

      // Having seen the result, the client must not see the task pending in its details.
      const details = (await (
        await harness.request(`/v1/task/${taskId}`, { token })
      ).json()) as Record<string, unknown>;
      expect(details).toMatchObject({ id: taskId, node: 'n2', progress: 100, status: 200 });
      expect(details['finished']).toMatch(/^\d+$/);
    });
  });
});
