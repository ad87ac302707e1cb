import { CanopyApiError, CanopyTaskFailedError, isApiErrorBody } from './canopy-api-error.js';

/** What a function answered for a task: its status, content type, headers and body bytes unchanged. */
export interface FunctionResponse {
  readonly taskId: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON. */
  json<Value = unknown>(): Value;
}

export type TaskResultState =
  | { readonly kind: 'finished'; readonly response: FunctionResponse }
  | { readonly kind: 'pending'; readonly taskId: string; readonly progress: number };

// The result route answers with the function's own response, so a status alone does not say who
// answered. The API's own answers are `{ error, message }` JSON: for a task the platform gave up on
// under one of these codes, for a refused request (bad id, no token, rate limit, no such task) under
// its status. A function that answers exactly like that is read as the API.
const PLATFORM_FAILURES = new Set([
  'TIMEOUT',
  'NO_RUNNER',
  'NODE_LOST',
  'CANCELLED',
  'INVALID_FUNCTION_RESPONSE',
]);
const REFUSALS = new Map([
  [400, 'INVALID_REQUEST'],
  [401, 'UNAUTHORIZED'],
  [404, 'NOT_FOUND'],
  [429, 'RATE_LIMITED'],
  [503, 'UNAVAILABLE'],
]);

export async function readTaskResult(taskId: string, response: Response): Promise<TaskResultState> {
  const body = new Uint8Array(await response.arrayBuffer());
  const contentType = response.headers.get('content-type');
  if (response.status === 202) {
    const { progress } = parsedJson(body) as { progress?: unknown };
    return { kind: 'pending', taskId, progress: typeof progress === 'number' ? progress : 0 };
  }
  if (!response.ok && contentType?.startsWith('application/json') === true) {
    const error = parsedJson(body);
    if (isApiErrorBody(error) && PLATFORM_FAILURES.has(error.error)) {
      throw new CanopyTaskFailedError(taskId, response.status, error.error, error.message);
    }
    if (isApiErrorBody(error) && REFUSALS.get(response.status) === error.error) {
      throw CanopyApiError.of(response, error);
    }
  }
  return {
    kind: 'finished',
    response: {
      taskId,
      status: response.status,
      contentType,
      headers: response.headers,
      body,
      text: () => new TextDecoder().decode(body),
      json: <Value>() => JSON.parse(new TextDecoder().decode(body)) as Value,
    },
  };
}

function parsedJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as unknown;
  } catch {
    return undefined;
  }
}
