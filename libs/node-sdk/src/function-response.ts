import { ContractViolationError, parseContract, taskResponseSchema } from '@canopy/contracts';
import type { ResultReport, TaskResponse } from '@canopy/contracts';

/** What a task handler returns: the function's HTTP response. */
export interface TaskResult {
  /** HTTP status, 100..599. */
  readonly status: number;
  /** Defaults to none (null). */
  readonly contentType?: string | null;
  /** Header names and values; defaults to none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Bytes (a Buffer is a Uint8Array), or text sent as UTF-8; defaults to empty. */
  readonly body?: Uint8Array | string;
}

const PLAIN_TEXT = 'text/plain; charset=utf-8';

/**
 * Turns a handler's result into the contract's response. Throws a ContractViolationError naming the
 * field when the result is not a valid response (for example a status of 42).
 */
export function responseFromResult(result: TaskResult): TaskResponse {
  // Handlers written in plain JavaScript can return anything, so the declared type proves nothing.
  if (typeof result !== 'object' || (result as unknown) === null) {
    throw new ContractViolationError('task result', '', 'must be an object with a status');
  }
  const body: unknown = result.body ?? '';
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new ContractViolationError(
      'task result',
      'body',
      'must be a Buffer, a Uint8Array or a string',
    );
  }
  return parseContract(taskResponseSchema, 'task result', {
    status: result.status,
    contentType: result.contentType ?? null,
    headers: result.headers ?? {},
    body: bytesOf(body).toString('base64'),
  });
}

/** A response the node itself makes up, e.g. 500 when the handler failed; `message` must be safe to show. */
export function platformResponse(status: number, message: string): TaskResponse {
  return {
    status,
    contentType: PLAIN_TEXT,
    headers: {},
    body: Buffer.from(message, 'utf8').toString('base64'),
  };
}

/**
 * The JSON of a result report, at most `maxPayloadBytes` long (the NATS server's `max_payload`). A
 * response that does not fit is replaced by a 500 saying so, because an oversized message would be
 * refused by the server on every retry.
 */
export function encodeResultReport(report: ResultReport, maxPayloadBytes: number): string {
  const payload = JSON.stringify(report);
  const size = Buffer.byteLength(payload, 'utf8');
  if (size <= maxPayloadBytes) return payload;
  const bodyBytes = Buffer.byteLength(report.response.body, 'base64');
  return JSON.stringify({
    ...report,
    response: platformResponse(
      500,
      `The function's response is too large to report: its body is ${bodyBytes} bytes and the whole ` +
        `report ${size} bytes, more than the ${maxPayloadBytes} bytes the message transport allows.`,
    ),
  } satisfies ResultReport);
}

function bytesOf(body: Uint8Array | string): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
