import { ContractViolationError, parseResultReport } from '@canopy/contracts';
import type { ResultReport } from '@canopy/contracts';
import type { TaskResult } from './function-response.js';
import { encodeResultReport, platformResponse, responseFromResult } from './function-response.js';

const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

describe('function response', () => {
  test('a Buffer body is sent as base64, absent fields as their empty values', () => {
    expect(responseFromResult({ status: 201, body: Buffer.from([0, 255, 1]) })).toEqual({
      status: 201,
      contentType: null,
      headers: {},
      body: 'AP8B',
    });
  });

  test('a string body is UTF-8; a Uint8Array view sends only its own bytes', () => {
    expect(responseFromResult({ status: 200, contentType: 'text/plain', body: 'héllo' }).body).toBe(
      Buffer.from('héllo').toString('base64'),
    );
    const view = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    expect(responseFromResult({ status: 200, body: view }).body).toBe('AgM=');
  });

  test('headers and content type pass through', () => {
    expect(
      responseFromResult({
        status: 404,
        contentType: 'application/json',
        headers: { 'x-trace': '1' },
        body: '{}',
      }),
    ).toMatchObject({ contentType: 'application/json', headers: { 'x-trace': '1' } });
  });

  test.each([
    [{ status: 42 }, 'status'],
    [{ status: 200.5 }, 'status'],
    [{ status: 200, headers: { a: 1 } }, 'headers.a'],
    [{ status: 200, contentType: '' }, 'contentType'],
    [{ status: 200, body: 12 }, 'body'],
    [null, ''],
  ])('an invalid result %j is refused, naming %p', (result, field) => {
    let thrown: unknown;
    try {
      responseFromResult(result as unknown as TaskResult);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContractViolationError);
    expect((thrown as ContractViolationError).field).toBe(field);
  });

  test('a platform response is plain text', () => {
    const response = platformResponse(504, 'too slow');
    expect(response).toMatchObject({ status: 504, contentType: 'text/plain; charset=utf-8' });
    expect(text(response.body)).toBe('too slow');
  });
});

describe('result report encoding', () => {
  const report = (bodyBytes: number): ResultReport => ({
    reportId: '8f14e45f-ceea-467f-a0c8-1b1a4d1e2f3a',
    taskId: '6405942c9956fae80d7e0e91',
    attempt: 2,
    response: {
      status: 200,
      contentType: 'application/octet-stream',
      headers: {},
      body: Buffer.alloc(bodyBytes, 7).toString('base64'),
    },
  });

  test('a report that fits is sent as it is', () => {
    const small = report(100);
    const payload = encodeResultReport(small, 1_000);
    expect(JSON.parse(payload)).toEqual(small);
  });

  test('a report larger than the transport allows becomes a 500 saying so, for the same attempt', () => {
    const large = report(3_000);
    const payload = encodeResultReport(large, 1_000);
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(1_000);
    const sent = parseResultReport(JSON.parse(payload));
    expect(sent).toMatchObject({ reportId: large.reportId, taskId: large.taskId, attempt: 2 });
    expect(sent.response.status).toBe(500);
    expect(text(sent.response.body)).toMatch(/body is 3000 bytes .* more than the 1000 bytes/);
  });
});
