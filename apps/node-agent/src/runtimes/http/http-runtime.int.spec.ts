import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { HttpRuntimeSpec } from '@canopy/contracts';
import type { TaskResult } from '@canopy/node-sdk';
import { testRunningTask } from '@canopy/node-sdk/testing';
import type { TestRunningTaskOptions } from '@canopy/node-sdk/testing';
import type { FunctionLimits } from '../function-limits.js';
import { forwardHttp, functionUrl } from './http-runtime.js';

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const limits: FunctionLimits = { maxResponseBytes: 1_000, stderrTailBytes: 64, killGraceMs: 300 };
const bodyText = (result: TaskResult): string => Buffer.from(result.body ?? '').toString('utf8');

describe('http runtime (a real local HTTP server)', () => {
  let server: Server;
  let baseUrl: string;
  let seen: SeenRequest[];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const path = new URL(request.url ?? '/', 'http://x').pathname;
        switch (path) {
          case '/echo':
            response.writeHead(201, {
              'Content-Type': 'application/json',
              'X-Function': 'echo',
              'Set-Cookie': 'session=secret',
              Connection: 'close',
            });
            response.end(JSON.stringify({ body: Buffer.concat(chunks).toString('utf8') }));
            return;
          case '/gzip':
            response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' });
            response.end(gzipSync('unzipped by the node'));
            return;
          case '/big':
            response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
            response.end(Buffer.alloc(5_000, 1));
            return;
          case '/redirect':
            response.writeHead(302, { Location: '/elsewhere' });
            response.end();
            return;
          case '/broken':
            response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '1000' });
            response.write('only the beginning', () => response.destroy());
            return;
          case '/slow':
            // Never answers: only the task's signal ends the request.
            return;
          default:
            response.writeHead(404);
            response.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    seen = [];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function forward(spec: Omit<HttpRuntimeSpec, 'kind'>, options: TestRunningTaskOptions = {}) {
    return forwardHttp({ kind: 'http', ...spec }, testRunningTask(options).task, { limits });
  }

  test('forwards method, query, content type and body; returns status, content type, safe headers and body', async () => {
    const { task } = testRunningTask({
      attempt: 3,
      request: { query: 'b=2&c=%20', contentType: 'application/json', body: '{"n":1}' },
    });
    const result = await forwardHttp({ kind: 'http', url: `${baseUrl}/echo?a=1` }, task, {
      limits,
    });
    expect(result).toEqual({
      status: 201,
      contentType: 'application/json',
      headers: expect.objectContaining({ 'x-function': 'echo' }) as Record<string, string>,
      body: Buffer.from(JSON.stringify({ body: '{"n":1}' })),
    });
    for (const dropped of ['set-cookie', 'connection', 'content-length', 'content-type']) {
      expect(result.headers).not.toHaveProperty(dropped);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/echo?a=1&b=2&c=%20',
      body: '{"n":1}',
      headers: {
        'content-type': 'application/json',
        'x-canopy-task-id': task.taskId,
        'x-canopy-attempt': '3',
        'x-canopy-function-id': task.functionId,
      },
    });
  });

  test('GET sends no body and no content type', async () => {
    await forward({ url: `${baseUrl}/echo`, method: 'GET' }, { request: { body: 'dropped' } });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/echo', body: '' });
    expect(seen[0]?.headers).not.toHaveProperty('content-type');
  });

  test('the declared method is used', async () => {
    await forward({ url: `${baseUrl}/echo`, method: 'PUT' }, { request: { body: 'x' } });
    expect(seen[0]).toMatchObject({ method: 'PUT', body: 'x' });
  });

  test('a compressed response is returned decoded, without its content-encoding', async () => {
    const result = await forward({ url: `${baseUrl}/gzip` });
    expect(bodyText(result)).toBe('unzipped by the node');
    expect(result.headers).not.toHaveProperty('content-encoding');
  });

  test('a redirect is returned, not followed', async () => {
    const result = await forward({ url: `${baseUrl}/redirect` });
    expect(result).toMatchObject({ status: 302, headers: { location: '/elsewhere' } });
    expect(seen).toHaveLength(1);
  });

  test('a status from the function is passed through, errors included', async () => {
    expect((await forward({ url: `${baseUrl}/missing` })).status).toBe(404);
  });

  test('a body over the limit is a 500', async () => {
    const result = await forward({ url: `${baseUrl}/big` });
    expect(result.status).toBe(500);
    expect(bodyText(result)).toBe(
      "The function's response body is larger than 1000 bytes, the most a response may have.",
    );
  });

  test('an unreachable function is a 502 naming only its origin', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await forward({ url: `http://127.0.0.1:${port}/fn?token=secret` });
    expect(result.status).toBe(502);
    expect(bodyText(result)).toBe(
      `The function at http://127.0.0.1:${port} could not be reached (ECONNREFUSED).`,
    );
  });

  test('a response that breaks off is a 502', async () => {
    const result = await forward({ url: `${baseUrl}/broken` });
    expect(result.status).toBe(502);
    expect(bodyText(result)).toMatch(
      /^The function at http:\/\/127\.0\.0\.1:\d+ broke off its response \(.+\)\.$/,
    );
  });

  test("the task's signal aborts a request in flight", async () => {
    const handle = testRunningTask();
    const result = forwardHttp({ kind: 'http', url: `${baseUrl}/slow` }, handle.task, { limits });
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    handle.abort();
    await expect(result).rejects.toThrow();
  });
});

describe('functionUrl', () => {
  test.each([
    ['http://h/fn', '', 'http://h/fn'],
    ['http://h/fn', 'a=1', 'http://h/fn?a=1'],
    ['http://h/fn?k=v', 'a=1&b=%2F', 'http://h/fn?k=v&a=1&b=%2F'],
    ['https://h:8443/', 'q', 'https://h:8443/?q'],
  ])('%s + %j = %s', (base, query, expected) => {
    expect(functionUrl(base, query).toString()).toBe(expected);
  });
});
