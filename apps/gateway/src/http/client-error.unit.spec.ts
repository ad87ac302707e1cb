import { clientErrorResponse } from './client-error.js';

function parse(response: string) {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const [statusLine, ...headers] = head.split('\r\n');
  return {
    statusLine,
    headers: Object.fromEntries(
      headers.map((line) => [line.split(': ')[0]?.toLowerCase(), line.split(': ')[1]]),
    ),
    body: JSON.parse(body) as unknown,
    bodyBytes: Buffer.byteLength(body),
  };
}

describe('clientErrorResponse', () => {
  test.each([
    ['HPE_HEADER_OVERFLOW', 'HTTP/1.1 431 Request Header Fields Too Large', 'HEADERS_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout', 'REQUEST_TIMEOUT'],
    ['HPE_INVALID_METHOD', 'HTTP/1.1 400 Bad Request', 'MALFORMED_REQUEST'],
  ])('%s is %s with the API error shape, and the connection closes', (code, statusLine, error) => {
    const response = parse(clientErrorResponse({ code }));
    expect(response.statusLine).toBe(statusLine);
    expect(response.headers['connection']).toBe('close');
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(response.headers['content-length'])).toBe(response.bodyBytes);
    expect(response.body).toEqual({ error, message: expect.any(String) });
  });
});
