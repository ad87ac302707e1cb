import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

// Requests Node's HTTP parser refuses (malformed request line or headers, headers too large, too
// slow) never reach Fastify's routes or the exception filter. They are answered here in the API's
// own error shape, and with `Connection: close`: the socket is closed afterwards, and a client that
// was not told so may send its next request into it.

interface ParserError {
  readonly code?: string;
}

/** The raw HTTP response to a request the parser refused. */
export function clientErrorResponse(error: ParserError): string {
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'the request line and headers exceed the size limit']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request was not received in time']
        : [400, 'MALFORMED_REQUEST', 'the request is not well-formed HTTP/1.1'];
  const body = JSON.stringify({ error: code, message });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    'Cache-Control: no-store',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** Fastify's `clientErrorHandler`: answers, then closes the connection. */
export function answerClientError(error: Error & ParserError, socket: Duplex): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(error), () => socket.destroy());
}
