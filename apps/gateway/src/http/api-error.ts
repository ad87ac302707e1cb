// The gateway's error vocabulary. Handlers throw these (or let domain and contract errors through);
// the one exception filter (api-exception-filter.ts) turns every error into `{ error, message, field? }`.

export interface ApiErrorOptions {
  /** Query parameter, path parameter or body field at fault. */
  readonly field?: string;
  /** Seconds, sent as Retry-After. */
  readonly retryAfter?: number;
  /** More of the answer, beside `error` and `message` (e.g. the status a task finished with). */
  readonly details?: Readonly<Record<string, string | number>>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** UPPER_SNAKE_CASE, the `error` of the response body. */
    readonly code: string,
    message: string,
    readonly options: ApiErrorOptions = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400 naming the parameter or field, e.g. `invalidParameter('limit', 'must be an integer from 1 to 500')`. */
export function invalidParameter(field: string, problem: string): ApiError {
  return new ApiError(400, 'INVALID_REQUEST', `${field} ${problem}`, { field });
}

export function unauthorized(message: string): ApiError {
  return new ApiError(401, 'UNAUTHORIZED', message);
}

/** 404; also for another account's resources, which must be indistinguishable from missing ones. */
export function notFound(message: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', message);
}

export function unavailable(message: string, retryAfter: number): ApiError {
  return new ApiError(503, 'UNAVAILABLE', message, { retryAfter });
}
