import {
  ContractViolationError,
  decodeJson,
  parseContract,
  passOnHeaders,
} from '@canopy/contracts';
import type { RunningTask, TaskResult } from '@canopy/node-sdk';
import { z } from 'zod';

// How the agent and a persistent function process talk: JSON lines (UTF-8, one JSON object per
// line, '\n' at the end). The agent writes one line per invocation to the process's stdin; the
// process answers on stdout with any number of progress lines and then exactly one response line,
// each naming the invocation by its id. A process serving several invocations at once (its spec's
// `concurrency`) interleaves their lines, and is sent a cancel line for one that must stop.

const FRAMING = 'function message';

/** What the agent writes to a persistent function's stdin for one invocation. */
export interface InvocationMessage {
  /** `<taskId>:<attempt>`; every line the function writes about this invocation carries it. */
  readonly id: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly functionId: string;
  /** Raw query string without the leading '?'; '' when there is none. */
  readonly query: string;
  readonly contentType: string | null;
  /** The request body, base64 (padded); '' when empty. */
  readonly body: string;
  /** W3C trace context of the run, when the task is traced: the process's spans join its trace. */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export function invocationId(task: Pick<RunningTask, 'taskId' | 'attempt'>): string {
  return `${task.taskId}:${task.attempt}`;
}

/** The line (with its '\n') that hands `task` to the function. */
export function invocationLine(task: RunningTask): string {
  const message: InvocationMessage = {
    id: invocationId(task),
    taskId: task.taskId,
    attempt: task.attempt,
    functionId: task.functionId,
    query: task.request.query,
    contentType: task.request.contentType,
    body: task.request.body.toString('base64'),
    ...task.traceContext,
  };
  return `${JSON.stringify(message)}\n`;
}

/**
 * What the agent writes to a process serving invocations at once (concurrency above 1) when one of
 * them must stop: its task timed out, was cancelled, or the node is stopping. The process should
 * stop that invocation's work and answer it (the answer is not used).
 */
export interface CancelMessage {
  readonly id: string;
  readonly cancel: true;
}

/** The line (with its '\n') that asks the function to stop the invocation `id`. */
export function cancelLine(id: string): string {
  const message: CancelMessage = { id, cancel: true };
  return `${JSON.stringify(message)}\n`;
}

/** `{"id", "progress"}`: how far the invocation is, 0 to 100 (fractions are rounded down). */
export const progressMessageSchema = z.strictObject({
  id: z.string(),
  progress: z.number().min(0).max(100),
});

/** `{"id", ...}` without `progress`: the invocation's response; it ends the invocation. */
export const responseMessageSchema = z.strictObject({
  id: z.string(),
  /** Default 200. */
  status: z.int().min(100).max(599).optional(),
  /** Default: the `content-type` header, else none. */
  contentType: z.string().min(1).nullable().optional(),
  /** Passed on through the same filter as the other runtimes' headers. */
  headers: z.record(z.string(), z.string()).optional(),
  /** base64 (padded); default empty. */
  body: z.base64('must be base64 (RFC 4648, padded)').optional(),
});

export type ProgressMessage = z.output<typeof progressMessageSchema>;
export type ResponseMessage = z.output<typeof responseMessageSchema>;

export type FunctionMessage =
  | { readonly kind: 'progress'; readonly id: string; readonly percent: number }
  | {
      readonly kind: 'response';
      readonly id: string;
      readonly result: TaskResult & { readonly body: Buffer };
    };

/**
 * Reads one line a function wrote (without its newline) while the invocations `inProgress` are in
 * progress; throws a ContractViolationError naming what is wrong, a line naming none of them too.
 */
export function readFunctionMessage(line: Buffer, inProgress: readonly string[]): FunctionMessage {
  const value = decodeJson(line, FRAMING);
  if (isObjectWith(value, 'progress')) {
    const progress = isWellFormedProgress(value)
      ? value
      : parseContract(progressMessageSchema, FRAMING, value);
    checkId(progress.id, inProgress);
    return { kind: 'progress', id: progress.id, percent: progress.progress };
  }
  const response = isWellFormedResponse(value)
    ? value
    : parseContract(responseMessageSchema, FRAMING, value);
  checkId(response.id, inProgress);
  const passed = passOnHeaders(Object.entries(response.headers ?? {}));
  return {
    kind: 'response',
    id: response.id,
    result: {
      status: response.status ?? 200,
      contentType: response.contentType ?? passed.contentType,
      headers: passed.headers,
      body: Buffer.from(response.body ?? '', 'base64'),
    },
  };
}

// A function writes a line per invocation and often more: validating each with zod costs more than
// the rest of reading it. These checks accept only what the schemas above accept, and read the
// value as they would; anything they do not accept goes through the schema, which says precisely
// what is wrong (the schemas stay the one description of the framing).
const progressKeys = new Set(['id', 'progress']);
const responseKeys = new Set(['id', 'status', 'contentType', 'headers', 'body']);
const bodySchema = responseMessageSchema.shape.body;

/** True when `value` is a progress message the schema would return unchanged. */
export function isWellFormedProgress(value: unknown): value is ProgressMessage {
  if (!hasOnlyKeys(value, progressKeys)) return false;
  const { id, progress } = value;
  return (
    typeof id === 'string' &&
    typeof progress === 'number' &&
    Number.isFinite(progress) &&
    progress >= 0 &&
    progress <= 100
  );
}

/** True when `value` is a response message the schema would return unchanged. */
export function isWellFormedResponse(value: unknown): value is ResponseMessage {
  if (!hasOnlyKeys(value, responseKeys)) return false;
  const { id, status, contentType, headers, body } = value;
  return (
    typeof id === 'string' &&
    (status === undefined ||
      (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599)) &&
    (contentType === undefined ||
      contentType === null ||
      (typeof contentType === 'string' && contentType.length > 0)) &&
    (headers === undefined || isStringRecord(headers)) &&
    (body === undefined ||
      body === '' ||
      (typeof body === 'string' && bodySchema.safeParse(body).success))
  );
}

function hasOnlyKeys(
  value: unknown,
  keys: ReadonlySet<string>,
): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (!keys.has(key)) return false;
  return true;
}

// The schema drops a "__proto__" member rather than reading it: such a record is left to it.
function isStringRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    if (key === '__proto__' || typeof (value as Record<string, unknown>)[key] !== 'string') {
      return false;
    }
  }
  return true;
}

function checkId(actual: string, inProgress: readonly string[]): void {
  if (inProgress.includes(actual)) return;
  const [only] = inProgress;
  throw new ContractViolationError(
    FRAMING,
    'id',
    inProgress.length === 1 && only !== undefined
      ? `must be ${JSON.stringify(only)}, the invocation in progress`
      : `must name an invocation in progress, not ${JSON.stringify(actual)}`,
  );
}

function isObjectWith(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && key in value;
}
