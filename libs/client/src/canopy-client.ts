import createClient from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import { AccessTokenSource } from './access-tokens.js';
import type { AccessToken } from './access-tokens.js';
import { CanopyApiError, CanopyTaskPendingError } from './canopy-api-error.js';
import type { paths } from './generated/canopy-api.js';
import { endsTask, taskEventStream } from './task-events.js';
import type { TaskEventEntry } from './task-events.js';
import { readTaskResult } from './task-results.js';
import type { FunctionResponse, TaskResultState } from './task-results.js';

export interface CanopyClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  /**
   * An API key (`cnpy_…`): the client exchanges it for an access token on first use, again shortly
   * before that token expires, and once more when the API refuses a token (401).
   */
  readonly apiKey?: string;
  /** An access token obtained before (e.g. kept by a CLI), used until it expires. */
  readonly accessToken?: AccessToken;
  /** Told of every access token the client obtains, e.g. to keep it for the next run. */
  readonly onAccessToken?: (token: AccessToken) => void | Promise<void>;
  /** The fetch to send requests with; default `globalThis.fetch`. */
  readonly fetch?: (request: Request) => Promise<Response>;
}

/** A task's request: a string (sent as text), bytes, or any other value (sent as JSON). */
export type TaskBody = string | Uint8Array | object | number | boolean | null;

/** The query string a function receives: an object of values, `URLSearchParams`, or raw text. */
export type TaskQuery =
  | Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[]>>
  | URLSearchParams
  | string;

export interface IssueTaskOptions {
  readonly query?: TaskQuery;
  /** The body's content type; default `application/json` for a JSON value, `text/plain; charset=utf-8` for a string, `application/octet-stream` for bytes. */
  readonly contentType?: string;
  /** `Idempotency-Key`: the same key and request answer the same task, never a second one. */
  readonly idempotencyKey?: string;
  /** `Canopy-Priority`, 0 to 9 (9 first); default: the function's. */
  readonly priority?: number;
  /** `Canopy-Not-Before`: no node gets the task before this time (a Date, or unix seconds). */
  readonly notBefore?: Date | number;
}

export interface WaitOptions {
  /** Seconds to wait for the result at most (`CanopyTaskPendingError` after); default: until the task ends. */
  readonly wait?: number;
  /** Called with the task's progress (0–100) as it is reported, from the task's event stream (SSE). */
  readonly onProgress?: (progress: number) => void;
}

export interface RunTaskOptions extends IssueTaskOptions, WaitOptions {
  /** Called once the task is recorded, with its id. */
  readonly onIssued?: (taskId: string) => void;
}

/** Longest hold of one `GET /v1/task/:id/result?wait=` the API allows. */
const MAX_WAIT_SECONDS = 60;
/** Pause before following a task's events again after the stream dropped. */
const STREAM_RECONNECT_MS = 1000;
/** Drops in a row without a new event after which following gives up (the result still waits). */
const MAX_STREAM_DROPS = 5;

/**
 * A typed client of Canopy's HTTP API. `api` is the whole API, generated from its OpenAPI document
 * (openapi-fetch: `api.GET('/v1/function/list')`, `api.POST('/v1/schedule', { body })`...); the
 * client signs in with its API key and refreshes the access token by itself. `runTask` issues a task
 * and waits for its result.
 */
export class CanopyClient {
  /** Every operation of the API, typed from `docs/openapi.json`. */
  readonly api: Client<paths>;
  private readonly tokens: AccessTokenSource;
  private readonly baseFetch: (request: Request) => Promise<Response>;
  private readonly baseUrl: string;

  constructor(options: CanopyClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.baseFetch = options.fetch ?? ((request) => globalThis.fetch(request));
    this.tokens = new AccessTokenSource({
      baseUrl: this.baseUrl,
      apiKey: options.apiKey,
      accessToken: options.accessToken,
      onAccessToken: options.onAccessToken,
      fetch: this.baseFetch,
      now: Date.now,
    });
    this.api = createClient<paths>({
      baseUrl: this.baseUrl,
      fetch: (request) => this.authorizedFetch(request),
    });
  }

  /** Exchanges the API key for a new access token now (`POST /v1/auth/apiKey`). */
  signIn(): Promise<AccessToken> {
    return this.tokens.renew();
  }

  /** `POST /v1/task/:functionId`: issues a task and resolves with its id once it is recorded. */
  async issueTask(
    functionId: string,
    body?: TaskBody,
    options: IssueTaskOptions = {},
  ): Promise<string> {
    const request = taskRequest(body, options.contentType);
    const search = queryString(options.query);
    const headers: Record<string, string> = {
      ...(request === undefined ? {} : { 'content-type': request.contentType }),
      ...(options.idempotencyKey === undefined
        ? {}
        : { 'idempotency-key': options.idempotencyKey }),
      ...(options.priority === undefined ? {} : { 'canopy-priority': String(options.priority) }),
      ...(options.notBefore === undefined
        ? {}
        : { 'canopy-not-before': String(unixSeconds(options.notBefore)) }),
    };
    const issued = await this.api.POST('/v1/task/{id}', {
      params: { path: { id: functionId } },
      querySerializer: () => search,
      headers,
      ...(request === undefined
        ? {}
        : { body: request.bytes, bodySerializer: (bytes: unknown) => bytes }),
    });
    return dataOf(issued).id;
  }

  /**
   * `GET /v1/task/:taskId/result?wait=`: the function's response once the task finished (whatever
   * its status), or its progress while it runs. Throws `CanopyTaskFailedError` when the platform
   * gave up on the task, `CanopyApiError` when the API refused the request.
   */
  async taskResult(taskId: string, options: { wait?: number } = {}): Promise<TaskResultState> {
    const wait = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor(options.wait ?? 0)));
    const url = `${this.baseUrl}/v1/task/${encodeURIComponent(taskId)}/result?wait=${wait}`;
    return readTaskResult(taskId, await this.authorizedFetch(new Request(url)));
  }

  /** Issues a task and waits for the function's response (see `issueTask` and `waitForResult`). */
  async runTask(
    functionId: string,
    body?: TaskBody,
    options: RunTaskOptions = {},
  ): Promise<FunctionResponse> {
    const taskId = await this.issueTask(functionId, body, options);
    options.onIssued?.(taskId);
    return this.waitForResult(taskId, options);
  }

  /**
   * Waits for a task's result: with `onProgress`, follows the task's events (SSE) and reports its
   * progress until it ends, then reads the result (`GET /v1/task/:id/result?wait=`, which also
   * waits by itself when the events cannot be followed).
   */
  async waitForResult(taskId: string, options: WaitOptions = {}): Promise<FunctionResponse> {
    const deadline = options.wait === undefined ? Infinity : Date.now() + options.wait * 1000;
    if (options.onProgress !== undefined) {
      const onProgress = options.onProgress;
      const stop = new AbortController();
      const timer =
        deadline === Infinity
          ? undefined
          : setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()));
      try {
        for await (const entry of this.followTaskEvents(taskId, { signal: stop.signal })) {
          if (entry.type === 'TaskProgressed') onProgress(entry.data.progress);
        }
      } catch (error) {
        // The wait ran out, or the stream could not be had: the result request decides.
        if (!stop.signal.aborted && error instanceof CanopyApiError) throw error;
      } finally {
        clearTimeout(timer);
      }
    }
    for (;;) {
      const remaining = Math.ceil((deadline - Date.now()) / 1000);
      const state = await this.taskResult(taskId, {
        wait: Math.max(0, Math.min(MAX_WAIT_SECONDS, remaining)),
      });
      if (state.kind === 'finished') return state.response;
      options.onProgress?.(state.progress);
      if (Date.now() >= deadline) throw new CanopyTaskPendingError(taskId, state.progress);
    }
  }

  /**
   * A task's history as it is recorded: `GET /v1/task/:id/events` as Server-Sent Events, the events
   * so far first, then each new one, ending after the terminal event (`TaskFinished`, `TaskFailed`).
   * A dropped connection is followed again after the last event received, so none is missed or
   * repeated. Stops early when `signal` aborts.
   */
  async *followTaskEvents(
    taskId: string,
    options: { readonly signal?: AbortSignal; readonly from?: number } = {},
  ): AsyncGenerator<TaskEventEntry> {
    let last = (options.from ?? 1) - 1;
    let drops = 0;
    while (options.signal?.aborted !== true) {
      const answer = await this.api.GET('/v1/task/{id}/events', {
        params: {
          path: { id: taskId },
          query: { follow: 'true', ...(last === 0 ? {} : { from: String(last + 1) }) },
        },
        headers: { accept: 'text/event-stream' },
        parseAs: 'stream',
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      // 204: the task had already ended with the last event received.
      if (answer.response.status === 204) return;
      const stream = dataOf(answer) as unknown as ReadableStream<Uint8Array> | null;
      if (stream === null) return;
      for await (const entry of taskEventStream(stream)) {
        if (entry.version <= last) continue;
        last = entry.version;
        drops = 0;
        yield entry;
        if (endsTask(entry)) return;
      }
      drops += 1;
      if (drops > MAX_STREAM_DROPS) {
        throw new TypeError(`the event stream of task ${taskId} kept dropping`);
      }
      await new Promise((resolve) => setTimeout(resolve, STREAM_RECONNECT_MS));
    }
  }

  private async authorizedFetch(request: Request): Promise<Response> {
    const token = await this.tokens.valid();
    // Kept unsent, so that a request refused for its token can go again with a new one.
    const again = this.tokens.canRefresh ? request.clone() : undefined;
    if (token !== undefined) request.headers.set('authorization', `Bearer ${token}`);
    const response = await this.baseFetch(request);
    if (response.status !== 401 || again === undefined) return response;
    await response.body?.cancel();
    const renewed = await this.tokens.renew();
    again.headers.set('authorization', `Bearer ${renewed.token}`);
    return this.baseFetch(again);
  }
}

export function createCanopyClient(options: CanopyClientOptions): CanopyClient {
  return new CanopyClient(options);
}

/**
 * The data of an API call's answer (`api.GET(…)` and the like); throws `CanopyApiError` with the
 * API's status, code and message when the call failed.
 */
export function dataOf<Result extends ApiAnswer>(
  result: Result,
): Exclude<Result['data'], undefined> {
  if (result.response.ok) return result.data as Exclude<Result['data'], undefined>;
  throw CanopyApiError.of(result.response, result.error);
}

interface ApiAnswer {
  readonly data?: unknown;
  readonly error?: unknown;
  readonly response: Response;
}

function taskRequest(
  body: TaskBody | undefined,
  contentType: string | undefined,
): { bytes: Uint8Array | string; contentType: string } | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') {
    return { bytes: body, contentType: contentType ?? 'text/plain; charset=utf-8' };
  }
  if (body instanceof Uint8Array) {
    return { bytes: body, contentType: contentType ?? 'application/octet-stream' };
  }
  return { bytes: JSON.stringify(body), contentType: contentType ?? 'application/json' };
}

function unixSeconds(time: Date | number): number {
  return time instanceof Date ? Math.floor(time.getTime() / 1000) : Math.floor(time);
}

function queryString(query: TaskQuery | undefined): string {
  if (query === undefined) return '';
  if (typeof query === 'string') return query.replace(/^\?/, '');
  if (query instanceof URLSearchParams) return query.toString();
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const each of Array.isArray(value) ? value : [value]) search.append(name, String(each));
  }
  return search.toString();
}
