import { readFileSync } from 'node:fs';
import net from 'node:net';
import { eventually } from '@canopy/async-testing';
import fc from 'fast-check';
import { openEventLog } from './testing/event-log.js';
import type { EventLog } from './testing/event-log.js';
import { hostileRequest, operationsOf } from './testing/hostile-requests.js';
import type { HostileRequest, Operation } from './testing/hostile-requests.js';
import { repositoryRoot } from './testing/service-process.js';
import { fuzzReplay } from './testing/fuzz-replay.js';
import { stackForFile } from './testing/stack-for-file.js';

// Whatever a client sends, the gateway answers with a 4xx JSON error (or a success), never a 5xx,
// never a stack trace, appends nothing for a request it rejects, and every service stays up. The
// operations come from the committed OpenAPI document, so a new endpoint is fuzzed as soon as it is
// documented (and a test elsewhere fails while it is not).

const e2e = stackForFile({
  label: 'hostile_http',
  // Queued tasks must not fail with NO_RUNNER while the properties count appended events.
  schedulerEnv: { SCHEDULER_PENDING_DEADLINE_SECONDS: '3600' },
});

const runs = Number(process.env['CANOPY_FUZZ_RUNS'] ?? 1000);
// A failure prints its seed and path: CANOPY_FUZZ_SEED and CANOPY_FUZZ_PATH replay it.
const replay = fuzzReplay(process.env);

const operations: Operation[] = operationsOf(
  JSON.parse(readFileSync(`${repositoryRoot}docs/openapi.json`, 'utf8')),
);

let events: EventLog;
let token: string;
let knownIds: string[];
let echoFunctionId: string;

interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  /** The gateway refused an oversized body by closing the connection before reading it all. */
  readonly closedWhileSending?: true;
}

/** The gateway's default body limit: it may stop reading a larger body and close the connection. */
const BODY_LIMIT_BYTES = 1024 * 1024;

async function send(request: HostileRequest, url: string): Promise<Answer> {
  const carriesBody = request.body !== undefined && !['GET', 'HEAD'].includes(request.method);
  try {
    const response = await fetch(`${url}${request.target}`, {
      method: request.method,
      headers: request.headers,
      ...(carriesBody ? { body: request.body } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      text: await response.text(),
    };
  } catch (error) {
    // Refusing an oversized body without reading it all is allowed: the client then sees the
    // connection close while it is still writing. Anything else is a failure.
    const code = (error as { cause?: { code?: string } }).cause?.code;
    const oversized = carriesBody && (request.body?.length ?? 0) > BODY_LIMIT_BYTES;
    if (oversized && (code === 'EPIPE' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) {
      return {
        status: 413,
        contentType: 'application/json',
        text: '{"error":"(closed)","message":""}',
      };
    }
    throw error;
  }
}

/** What is wrong with an answer to a hostile request; undefined when nothing is. */
function problemWith(answer: Answer): string | undefined {
  if (answer.closedWhileSending === true) return undefined;
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (/\n\s+at .+:\d+:\d+|node_modules|\/dist\/|\.ts:\d+/.test(answer.text)) {
    return `the body carries a stack trace or a source path: ${answer.text.slice(0, 500)}`;
  }
  if (answer.status >= 400) {
    if (!answer.contentType?.startsWith('application/json')) {
      return `a ${answer.status} of content type ${String(answer.contentType)}`;
    }
    const body = JSON.parse(answer.text) as { error?: unknown; message?: unknown };
    if (typeof body.error !== 'string' || typeof body.message !== 'string') {
      return `a ${answer.status} without { error, message }: ${answer.text.slice(0, 300)}`;
    }
  }
  return undefined;
}

beforeAll(async () => {
  const { stack } = e2e;
  await stack.startNode({ slots: 2 });
  const signedUp = await stack.signUp('hostile');
  token = signedUp.token;
  echoFunctionId = await stack.registerFunction(token, {
    name: 'echo',
    runtime: { kind: 'process', command: 'cat' },
  });
  // Tasks the properties manage to issue need a privileged node, and none runs: they wait, so no
  // assignment or result is appended behind the properties' backs.
  const waitingFunctionId = await stack.registerFunction(token, {
    name: 'waits',
    privileged: true,
    runtime: { kind: 'process', command: 'cat' },
  });
  const issued = await stack.requestJson<{ id: string }>(`/v1/task/${echoFunctionId}`, {
    method: 'POST',
    token,
    json: { hello: 'world' },
  });
  expect(issued.status).toBe(201);
  // Finished before the properties start counting events: nothing else appends while they run.
  const result = await stack.request(`/v1/task/${issued.body.id}/result?wait=30`, { token });
  expect(result.status).toBe(200);
  knownIds = [waitingFunctionId, issued.body.id, signedUp.account.accountId, '0'.repeat(24)];
  events = await openEventLog(stack.databaseUrl);
}, 120_000);

afterAll(async () => {
  await events?.close();
});

e2e.test('the OpenAPI document names the operations to fuzz', async () => {
  expect(operations.length).toBeGreaterThanOrEqual(9);
  expect(operations.map((operation) => `${operation.method} ${operation.path}`)).toEqual(
    expect.arrayContaining(['POST /v1/task/{id}', 'GET /v1/task/{id}/result']),
  );
});

e2e.test(
  'hostile requests get a 4xx JSON error or a success, and a rejected one appends nothing',
  async (stack) => {
    await fc.assert(
      fc.asyncProperty(hostileRequest(operations, { token, knownIds }), async (request) => {
        const before = await events.head();
        const answer = await send(request, stack.url);
        const problem = problemWith(answer);
        if (problem !== undefined) throw new Error(`${request.description}\n${problem}`);
        if (answer.status >= 400) {
          const appended = await events.since(before);
          if (appended.length > 0) {
            throw new Error(
              `${request.description}\nanswered ${answer.status} yet these events were appended: ${appended.join(', ')}`,
            );
          }
        }
      }),
      { numRuns: runs, endOnFailure: true, ...replay },
    );
  },
  600_000,
);

/** Sends raw bytes as an HTTP/1.1 request and resolves with everything the server answered. */
function rawExchange(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}

/** What is wrong with a raw answer: a 5xx, or a 4xx that is not the API's JSON error. */
function problemWithRawAnswer(answer: string): string | undefined {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  if (status >= 500) return `answered "${statusLine}"`;
  const chunked = headerLines.some((line) => /^transfer-encoding:.*chunked/i.test(line));
  if (status >= 400 && !chunked) {
    try {
      const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
      if (typeof parsed.error !== 'string' || typeof parsed.message !== 'string') {
        return `a ${status} without { error, message }: ${body.slice(0, 300)}`;
      }
    } catch {
      return `a ${status} whose body is not JSON: ${body.slice(0, 300)}`;
    }
  }
  return undefined;
}

e2e.test(
  'malformed HTTP on the wire (bad header bytes, lengths, request lines) gets a 4xx JSON error, never a 5xx',
  async (stack) => {
    const port = Number(new URL(stack.url).port);
    const encoder = new TextEncoder();
    const header = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc
        .constantFrom(
          'Content-Length: -1',
          'Content-Length: 99999999999999999999',
          'Content-Length: 5\r\nContent-Length: 6',
          'Transfer-Encoding: chunked, identity',
          `Authorization: Bearer ${'A'.repeat(20_000)}`,
          'Content-Type: application/json; charset=\xff',
          'X-Bytes: \xc0\xaf\xed\xa0\x80',
        )
        .map((text) => Uint8Array.from(text, (char) => char.charCodeAt(0))),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        fc.array(header, { maxLength: 4 }),
        fc.uint8Array({ maxLength: 200 }),
        async (operation, headers, body) => {
          const path = operation.path.replace(/\{[^}]+\}/g, knownIds[0] ?? 'x');
          const parts: Uint8Array[] = [
            encoder.encode(`${operation.method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`),
            encoder.encode(`Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n`),
            ...headers.flatMap((line) => [line, encoder.encode('\r\n')]),
            encoder.encode(`Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`),
            body,
          ];
          const problem = problemWithRawAnswer(await rawExchange(port, Buffer.concat(parts)));
          if (problem !== undefined) throw new Error(`${operation.method} ${path}: ${problem}`);
        },
      ),
      { numRuns: Math.ceil(runs / 3), endOnFailure: true, ...replay },
    );
  },
  300_000,
);

e2e.test('every service is still up and a task still runs end to end', async (stack) => {
  expect(stack.outputTails(1)).not.toMatch(/\(exited\)/);
  const issued = await stack.requestJson<{ id: string }>(`/v1/task/${echoFunctionId}`, {
    method: 'POST',
    token,
    json: { after: 'fuzzing' },
  });
  expect(issued.status).toBe(201);
  await eventually(async () => {
    const result = await stack.request(`/v1/task/${issued.body.id}/result?wait=20`, { token });
    expect({ status: result.status, body: await result.text() }).toEqual({
      status: 200,
      body: '{"after":"fuzzing"}',
    });
  }, 60_000);
});
