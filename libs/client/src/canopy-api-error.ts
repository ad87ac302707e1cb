import type { components } from './generated/canopy-api.js';

/** The body of every error the API answers: `{ error, message, field? }`. */
export type ApiErrorBody = components['schemas']['ApiError'];

/** The API refused a request, or could not answer it: its status and its `{ error, message, field? }`. */
export class CanopyApiError extends Error {
  override readonly name: string = 'CanopyApiError';

  constructor(
    /** The HTTP status, e.g. 404. */
    readonly status: number,
    /** The API's code, e.g. `NOT_FOUND`, `UNAUTHORIZED`, `INVALID_REQUEST`. */
    readonly code: string,
    message: string,
    /** The parameter or body field at fault, when the API named one. */
    readonly field?: string,
  ) {
    super(message);
  }

  /** The error a response stands for: its ApiError body, or one made up from its status. */
  static of(response: Response, body: unknown): CanopyApiError {
    if (isApiErrorBody(body)) {
      return new CanopyApiError(response.status, body.error, body.message, body.field);
    }
    const text = typeof body === 'string' && body.trim() !== '' ? `: ${body.trim()}` : '';
    return new CanopyApiError(
      response.status,
      `HTTP_${response.status}`,
      `the API answered ${response.status} ${response.statusText}${text}`.slice(0, 500),
    );
  }
}

/** A task the platform gave up on (`TIMEOUT`, `NO_RUNNER`, `NODE_LOST`, `CANCELLED`, ...). */
export class CanopyTaskFailedError extends CanopyApiError {
  override readonly name: string = 'CanopyTaskFailedError';

  constructor(
    readonly taskId: string,
    status: number,
    code: string,
    message: string,
  ) {
    super(status, code, message);
  }
}

/** `runTask` stopped waiting (its `wait` ran out) before the task finished. */
export class CanopyTaskPendingError extends Error {
  override readonly name = 'CanopyTaskPendingError';

  constructor(
    readonly taskId: string,
    /** The task's progress when the client stopped waiting, 0 to 100. */
    readonly progress: number,
  ) {
    super(`task ${taskId} has not finished yet (progress ${progress}%)`);
  }
}

export function isApiErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const { error, message, field } = body as Record<string, unknown>;
  return (
    typeof error === 'string' &&
    typeof message === 'string' &&
    (field === undefined || typeof field === 'string')
  );
}
