import { eventually } from '@canopy/async-testing';
import type { paths } from '@canopy/client';
import type { PlatformStack } from './testing/platform-stack.js';
import { stackForFile } from './testing/stack-for-file.js';

// The task API (apps/gateway/README.md), end to end: the gateway, scheduler, projector and a node
// agent as real processes, functions run as local processes by the agent.

const e2e = stackForFile({ label: 'contract' });

// The bodies as the OpenAPI document declares them (docs/openapi.json, through @canopy/client).
type TaskJson = paths['/v1/task/{id}']['get']['responses']['200']['content']['application/json'];
type ListEntry =
  paths['/v1/task/list']['get']['responses']['200']['content']['application/json'][number];

const objectId = /^[0-9a-f]{24}$/;
const unixSecondsText = /^[0-9]{10}$/;

let token = '';
let nodeId = '';

beforeAll(async () => {
  const { stack } = e2e;
  ({ token } = await stack.signUp('contract'));
  ({ nodeId } = await stack.startNode({ slots: 4, cpuCount: 2 }));
}, 120_000);

async function issue(
  stack: PlatformStack,
  functionId: string,
  body: string | Uint8Array,
  options: { query?: string; contentType?: string } = {},
): Promise<string> {
  const response = await stack.request(`/v1/task/${functionId}${options.query ?? ''}`, {
    method: 'POST',
    token,
    headers: { 'content-type': options.contentType ?? 'text/plain' },
    body,
  });
  const answer = (await response.json()) as { id?: string };
  expect(response.status).toBe(201);
  expect(answer.id).toMatch(objectId);
  return answer.id as string;
}

async function finishedResult(stack: PlatformStack, taskId: string): Promise<Response> {
  return eventually(async () => {
    const response = await stack.request(`/v1/task/${taskId}/result?wait=20`, { token });
    if (response.status === 202) throw new Error(`task ${taskId} not finished yet`);
    return response;
  }, 60_000);
}

async function getTask(stack: PlatformStack, taskId: string): Promise<TaskJson> {
  const answer = await stack.requestJson<TaskJson>(`/v1/task/${taskId}`, { token });
  expect(answer.status).toBe(200);
  return answer.body;
}

function rfc3339(unixSeconds: string): string {
  return new Date(Number(unixSeconds) * 1000).toISOString().replace('.000Z', 'Z');
}

function utcDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

e2e.test(
  'a task is issued with its query and body, reports progress, and reads back in every field',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'query and body',
      timeout: 20,
      cpuCount: 1,
      runtime: {
        kind: 'process',
        command: 'sh',
        args: [
          '-c',
          'echo "::progress 50" >&2; sleep 2; printf "query=%s;body=" "$CANOPY_QUERY"; cat',
        ],
      },
    });
    const before = Math.floor(Date.now() / 1000);
    const taskId = await issue(stack, functionId, JSON.stringify({ name: 'John Doe' }), {
      query: '?name=John&city=Oslo',
      contentType: 'application/json',
    });

    const running = await eventually(async () => {
      const task = await getTask(stack, taskId);
      expect(task.progress).toBe(50);
      return task;
    }, 30_000);
    expect(running).toEqual({
      id: taskId,
      functionId,
      issued: expect.stringMatching(unixSecondsText),
      assigned: expect.stringMatching(unixSecondsText),
      finished: null,
      progress: 50,
      node: nodeId,
      timeout: 20,
      capabilities: { cpuCount: 1, memSize: 0, networkLatency: 0, privileged: false },
      status: 0,
    });
    expect(Number(running.issued)).toBeGreaterThanOrEqual(before - 1);
    expect(parseInt(taskId.slice(0, 8), 16)).toBe(Number(running.issued));

    const result = await finishedResult(stack, taskId);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await result.text()).toBe('query=name=John&city=Oslo;body={"name":"John Doe"}');

    const finished = await eventually(async () => {
      const task = await getTask(stack, taskId);
      expect(task.finished).not.toBeNull();
      return task;
    }, 30_000);
    expect(finished).toMatchObject({ id: taskId, progress: 100, status: 200, node: nodeId });
    expect(Number(finished.finished)).toBeGreaterThanOrEqual(Number(finished.assigned));
    expect(Number(finished.assigned)).toBeGreaterThanOrEqual(Number(finished.issued));
  },
);

e2e.test(
  'JSON and binary results keep their status, content type, headers and exact bytes',
  async (stack) => {
    const jsonFunction = await stack.registerFunction(token, {
      name: 'json envelope',
      runtime: {
        kind: 'process',
        command: 'sh',
        args: [
          '-c',
          'b=$(base64 -w0); printf \'{"status":201,"contentType":"application/json","headers":{"x-job":"9"},"body":"%s","bodyEncoding":"base64"}\' "$b"',
        ],
        envelope: true,
      },
    });
    const binaryBytes = Buffer.from([0x00, 0x01, 0xff, 0x80, 0x0a, 0x7f]);
    const binaryFunction = await stack.registerFunction(token, {
      name: 'binary envelope',
      runtime: {
        kind: 'process',
        command: 'sh',
        args: [
          '-c',
          `printf '{"status":200,"contentType":"image/png","body":"${binaryBytes.toString('base64')}","bodyEncoding":"base64"}'`,
        ],
        envelope: true,
      },
    });
    const document = { greeting: 'hello, "world"', list: [1, 2, 3], nested: { ok: true } };
    const jsonTask = await issue(stack, jsonFunction, JSON.stringify(document), {
      contentType: 'application/json',
    });
    const binaryTask = await issue(stack, binaryFunction, '');

    const jsonResult = await finishedResult(stack, jsonTask);
    expect(jsonResult.status).toBe(201);
    expect(jsonResult.headers.get('content-type')).toBe('application/json');
    expect(jsonResult.headers.get('x-job')).toBe('9');
    expect(await jsonResult.json()).toEqual(document);

    const binaryResult = await finishedResult(stack, binaryTask);
    expect(binaryResult.status).toBe(200);
    expect(binaryResult.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await binaryResult.arrayBuffer())).toEqual(binaryBytes);
    // GET reads the read models first: they may show the result a moment after /result does.
    await eventually(
      async () => expect((await getTask(stack, binaryTask)).status).toBe(200),
      30_000,
    );
  },
);

e2e.test(
  'a task no node can take stays pending: 202 on its result, also after ?wait',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'needs many cpus',
      cpuCount: 64,
      runtime: { kind: 'process', command: 'cat' },
    });
    const taskId = await issue(stack, functionId, 'x');
    const waited = await stack.requestJson<{ progress: number; status: number }>(
      `/v1/task/${taskId}/result?wait=1`,
      { token },
    );
    expect(waited.status).toBe(202);
    expect(waited.body).toEqual({ progress: 0, status: 0 });
    expect(waited.headers.get('retry-after')).toBe('1');
    expect(await getTask(stack, taskId)).toMatchObject({
      assigned: null,
      finished: null,
      node: null,
      progress: 0,
      status: 0,
      capabilities: { cpuCount: 64, memSize: 0, networkLatency: 0, privileged: false },
    });

    const pending = await stack.requestJson<ListEntry[]>('/v1/task/list?status=0', { token });
    expect(pending.body.map((entry) => entry.id)).toEqual([taskId]);
  },
);

e2e.test(
  'the list is newest first, paged with Link, filtered by function and status',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'cat for the list',
      runtime: { kind: 'process', command: 'cat' },
    });
    const taskIds: string[] = [];
    for (const body of ['one', 'two', 'three']) taskIds.push(await issue(stack, functionId, body));
    for (const taskId of taskIds) expect((await finishedResult(stack, taskId)).status).toBe(200);
    // Issued one after the other: newest first is the reverse order (issue times are kept to the
    // millisecond, so the ids' random part does not decide within one second).
    const newestFirst = [...taskIds].reverse();

    const all = await eventually(async () => {
      const page = await stack.requestJson<ListEntry[]>(`/v1/task/list?functionId=${functionId}`, {
        token,
      });
      expect(page.body.map((entry) => entry.status)).toEqual([200, 200, 200]);
      return page;
    }, 30_000);
    expect(all.body.map((entry) => entry.id)).toEqual(newestFirst);
    for (const entry of all.body) {
      expect(entry).toEqual({
        id: entry.id,
        issued: expect.stringMatching(unixSecondsText),
        progress: 100,
        status: 200,
      });
    }

    const first = await stack.requestJson<ListEntry[]>(
      `/v1/task/list?functionId=${functionId}&limit=2`,
      { token },
    );
    expect(first.body.map((entry) => entry.id)).toEqual(newestFirst.slice(0, 2));
    const link = first.headers.get('link') ?? '';
    const next = /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
    expect(next).toBeDefined();
    const second = await stack.requestJson<ListEntry[]>(next as string, { token });
    expect(second.body.map((entry) => entry.id)).toEqual(newestFirst.slice(2));
    expect(second.headers.get('link')).toBeNull();

    const finishedOnes = await stack.requestJson<ListEntry[]>(
      '/v1/task/list?status=200&limit=500',
      { token },
    );
    expect(finishedOnes.body.map((entry) => entry.id)).toEqual(expect.arrayContaining(taskIds));
    expect(finishedOnes.body.every((entry) => entry.status === 200)).toBe(true);
    const everything = await stack.requestJson<ListEntry[]>('/v1/task/list?limit=500', { token });
    const issuedSeconds = everything.body.map((entry) => Number(entry.issued));
    expect(issuedSeconds).toEqual([...issuedSeconds].sort((left, right) => right - left));
    expect(everything.body.length).toBeGreaterThanOrEqual(taskIds.length + 3);
  },
);

e2e.test(
  'the CSV export quotes, neutralises formulas, encodes bodies and filters by day',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'cat for the csv',
      runtime: { kind: 'process', command: 'cat' },
    });
    const bodies = ['plain text', 'a,"b"\nc', '=1+2'];
    const taskIds: string[] = [];
    for (const body of bodies) taskIds.push(await issue(stack, functionId, body));
    for (const taskId of taskIds) expect((await finishedResult(stack, taskId)).status).toBe(200);
    const issued = new Map<string, string>();
    for (const taskId of taskIds) issued.set(taskId, (await getTask(stack, taskId)).issued);
    const oldestFirst = taskIds;
    const contentType = 'text/plain; charset=utf-8';
    const row = (taskId: string, body: string) =>
      `${taskId},${rfc3339(issued.get(taskId) ?? '')},200,${contentType},${body}`;
    const bodyOf = (taskId: string) => bodies[taskIds.indexOf(taskId)] ?? '';
    const plainCell = (body: string) =>
      body.startsWith('=')
        ? `'${body}`
        : /[",\r\n]/.test(body)
          ? `"${body.replaceAll('"', '""')}"`
          : body;

    const csv = async (query: string) => {
      const response = await stack.request(`/v1/task/${functionId}/csv${query}`, { token });
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        text: await response.text(),
      };
    };
    const plain = await eventually(async () => {
      const answer = await csv('?showPlain=true');
      // The export reads the read models: wait until they show every task finished.
      const statuses = answer.text.split('\r\n').filter((line) => /^[0-9a-f]{24},/.test(line));
      expect(statuses.map((line) => line.split(',')[2])).toEqual(bodies.map(() => '200'));
      return answer;
    }, 30_000);
    expect(plain.status).toBe(200);
    expect(plain.type).toBe('text/csv; charset=utf-8');
    expect(plain.text).toBe(
      [
        'ID,IssuedAt,Status,ContentType,Body',
        ...oldestFirst.map((taskId) => row(taskId, plainCell(bodyOf(taskId)))),
      ]
        .map((line) => `${line}\r\n`)
        .join(''),
    );
    expect(plain.text).toContain(`"a,""b""\nc"`);
    expect(plain.text).toContain(`,'=1+2\r\n`);

    const encoded = await csv('');
    expect(encoded.text).toBe(
      [
        'ID,IssuedAt,Status,ContentType,Body',
        ...oldestFirst.map((taskId) => row(taskId, Buffer.from(bodyOf(taskId)).toString('base64'))),
      ]
        .map((line) => `${line}\r\n`)
        .join(''),
    );

    const today = utcDay(0);
    expect((await csv(`?showPlain=true&dateSince=${today}&dateUntil=${today}`)).text).toBe(
      plain.text,
    );
    expect((await csv(`?functionId=${functionId}&showPlain=true`)).text).toBe(plain.text);
    expect((await csv(`?dateSince=${utcDay(1)}`)).text).toBe(
      'ID,IssuedAt,Status,ContentType,Body\r\n',
    );
    expect((await csv(`?dateUntil=${utcDay(-1)}`)).text).toBe(
      'ID,IssuedAt,Status,ContentType,Body\r\n',
    );

    for (const query of [
      '?dateSince=2025-24-03',
      `?dateSince=${utcDay(1)}&dateUntil=${today}`,
      `?functionId=${'0'.repeat(24)}`,
    ]) {
      const refused = await stack.requestJson<{ error: string }>(
        `/v1/task/${functionId}/csv${query}`,
        { token },
      );
      expect({ query, status: refused.status, error: refused.body.error }).toEqual({
        query,
        status: 400,
        error: 'INVALID_REQUEST',
      });
    }
  },
);
