import { passOnHeaders } from '@canopy/contracts';
import type { HttpRuntimeSpec } from '@canopy/contracts';
import type { RunningTask, TaskResult } from '@canopy/node-sdk';
import { PLAIN_TEXT } from '../function-limits.js';
import type { FunctionLimits } from '../function-limits.js';

export interface HttpRuntimeSettings {
  readonly limits: FunctionLimits;
}

/**
 * Forwards one invocation to the function's URL with fetch: the spec's method (POST by default),
 * the task's query string appended to the URL, its content type and body (none for GET and HEAD),
 * plus X-Canopy-Task-Id / -Attempt / -Function-Id. Redirects are returned, not followed. The
 * function's status, content type, safe headers and body (bounded) make the result; a function
 * that cannot be reached, or breaks off its response, is a 502.
 */
export async function forwardHttp(
  spec: HttpRuntimeSpec,
  task: RunningTask,
  settings: HttpRuntimeSettings,
): Promise<TaskResult> {
  const url = functionUrl(spec.url, task.request.query);
  const method = spec.method ?? 'POST';
  const sendsBody = method !== 'GET' && method !== 'HEAD';
  const headers: Record<string, string> = {
    'x-canopy-task-id': task.taskId,
    'x-canopy-attempt': String(task.attempt),
    'x-canopy-function-id': task.functionId,
    ...task.traceContext,
  };
  if (sendsBody && task.request.contentType !== null) {
    headers['content-type'] = task.request.contentType;
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: sendsBody ? task.request.body : undefined,
      redirect: 'manual',
      signal: task.signal,
    });
  } catch (error) {
    if (task.signal.aborted) throw error;
    return failure(
      502,
      `The function at ${url.origin} could not be reached (${networkErrorCode(error)}).`,
    );
  }
  let body: Buffer | 'too-large';
  try {
    body = await readBounded(response, settings.limits.maxResponseBytes);
  } catch (error) {
    if (task.signal.aborted) throw error;
    return failure(
      502,
      `The function at ${url.origin} broke off its response (${networkErrorCode(error)}).`,
    );
  }
  if (body === 'too-large') {
    return failure(
      500,
      `The function's response body is larger than ${settings.limits.maxResponseBytes} bytes, the most a response may have.`,
    );
  }
  const passed = passOnHeaders(response.headers.entries());
  return {
    status: response.status,
    contentType: passed.contentType,
    headers: passed.headers,
    body,
  };
}

/** The spec's URL with the task's raw query string appended to any query it already has. */
export function functionUrl(base: string, query: string): URL {
  const url = new URL(base);
  if (query !== '') url.search = url.search === '' ? query : `${url.search.slice(1)}&${query}`;
  return url;
}

async function readBounded(response: Response, maxBytes: number): Promise<Buffer | 'too-large'> {
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return 'too-large';
    }
    chunks.push(value);
  }
}

function networkErrorCode(error: unknown): string {
  // fetch rejects with TypeError('fetch failed') and puts the socket's error in `cause`.
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : 'unknown error';
}

function failure(status: number, message: string): TaskResult {
  return { status, contentType: PLAIN_TEXT, headers: {}, body: message };
}
