import { objectIdSchema } from '@canopy/contracts';
import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../http/page-parameters.js';
import { openApiSchema } from './json-schema.js';
import type { OpenApiSchema } from './json-schema.js';

// Decorators that describe a route in the OpenAPI document, in the words of this API: every error is
// the one `ApiError` body, ids are 24-hex ObjectIds, lists are keyset pages. Schemas of bodies come
// from zod schemas (json-schema.ts), so a described body is the body the code validates or builds.

/** The error body every failure answers with (http/api-exception-filter.ts). */
export const apiErrorBodySchema = z
  .object({
    error: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/)
      .meta({
        description:
          'UPPER_SNAKE_CASE code: INVALID_REQUEST, UNAUTHORIZED, NOT_FOUND, PAYLOAD_TOO_LARGE, UNAVAILABLE, INTERNAL, or a code of the operation',
        example: 'INVALID_REQUEST',
      }),
    message: z.string().meta({ description: 'What went wrong, for a human' }),
    field: z.string().optional().meta({
      description: 'The query parameter, path parameter or body field at fault',
      example: 'limit',
    }),
    status: z.int().min(100).max(599).optional().meta({
      description: '`TASK_FINISHED` only: the status the task ended with',
      example: 200,
    }),
    finished: z
      .string()
      .regex(/^[0-9]+$/)
      .optional()
      .meta({ description: '`TASK_FINISHED` only: when the task ended, unix seconds' }),
  })
  .meta({ description: 'The body of every error response' });

/** Name of the shared error body in `components.schemas`. */
export const API_ERROR_SCHEMA = 'ApiError';
const apiErrorReference = { $ref: `#/components/schemas/${API_ERROR_SCHEMA}` } as const;

/** Name of the bearer access token scheme in `components.securitySchemes`. */
export const ACCESS_TOKEN_SCHEME = 'accessToken';

/** Error statuses this API answers with, and the `error` code each usually carries. */
const errorCodes = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'IDEMPOTENCY_KEY_REUSED',
  429: 'RATE_LIMITED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  502: 'BAD_GATEWAY',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
} as const;
export type ErrorStatus = keyof typeof errorCodes;

export interface ErrorResponseDescription {
  /** When this status is answered. */
  readonly description: string;
  /** The response's `error` code(s), when not the status's usual one. */
  readonly codes?: readonly string[];
  /** An example body; by default the first code with the description as message. */
  readonly example?: z.input<typeof apiErrorBodySchema>;
}

/**
 * The error responses of a route: each status with when it happens. Every one has the `ApiError`
 * body; 401 carries `WWW-Authenticate: Bearer`, 429 and 503 `Retry-After`.
 *
 *     @ApiErrorResponses({ 400: 'id is not a 24-hex id', 401: UNAUTHENTICATED, 404: 'no such task' })
 */
export function ApiErrorResponses(
  errors: Partial<Record<ErrorStatus, string | ErrorResponseDescription>>,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(errors).map(([key, value]) => {
      const status = Number(key) as ErrorStatus;
      const described = typeof value === 'string' ? { description: value } : value;
      const codes = described.codes ?? [errorCodes[status]];
      const example = described.example ?? {
        error: codes[0] ?? errorCodes[status],
        message: described.description,
      };
      return ApiResponse({
        status,
        description:
          codes.length > 1 || described.codes !== undefined
            ? `${described.description} (\`error\`: ${codes.map((code) => `\`${code}\``).join(', ')})`
            : described.description,
        headers: errorHeaders(status),
        content: { 'application/json': { schema: apiErrorReference, example } },
      });
    }),
  );
}

/**
 * A route that creates something once per Idempotency-Key (idempotency/idempotent-requests.ts): the
 * optional `Idempotency-Key` request header, the success answer (`Idempotent-Replayed` on a repeat)
 * and the 422 of a key first used with another request. `what` names the thing created.
 */
export function ApiIdempotentCreation(
  what: string,
  status: number,
  answer: Omit<JsonResponseDescription, 'headers'>,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiIdempotencyKey(what),
    ApiJsonResponse(status, { ...answer, headers: idempotentReplayHeader }),
    ApiErrorResponses(IDEMPOTENCY_KEY_ERRORS),
  );
}

/** The optional `Idempotency-Key` request header of a route that creates something. */
function ApiIdempotencyKey(what: string): MethodDecorator & ClassDecorator {
  return ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: `Makes the request safe to repeat: the same key (per account) with the same request (method, path, query, content type and body bytes) within the key's lifetime (24 h by default) answers the first answer's status and id again, without creating a second ${what}; such an answer carries \`Idempotent-Replayed: true\`. The same key with another request is a 422. 1 to 255 printable ASCII characters, bare or as a quoted string (\`"…"\`); a UUID is a good key.`,
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: 257,
      example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
    },
  });
}

/** The 422 of a route taking an Idempotency-Key. */
const IDEMPOTENCY_KEY_ERRORS = {
  422: {
    description: 'the Idempotency-Key was first used with another request',
    codes: ['IDEMPOTENCY_KEY_REUSED'],
    example: {
      error: 'IDEMPOTENCY_KEY_REUSED',
      message:
        'this Idempotency-Key was used with another request; use a new key for a new request',
      field: 'Idempotency-Key',
    },
  },
} as const satisfies Partial<Record<ErrorStatus, ErrorResponseDescription>>;

/** Headers of the success answer of a route taking an Idempotency-Key. */
const idempotentReplayHeader = {
  'Idempotent-Replayed': {
    description: '`true` when the request repeats an earlier one with the same Idempotency-Key',
    schema: { type: 'string', const: 'true' },
  },
};

/** The usual description of a 401 on a route that needs an access token. */
export const UNAUTHENTICATED =
  'no access token, or one that is invalid or expired: `Authorization: Bearer <accessToken>` (from `POST /v1/auth/apiKey`)';

/** The usual description of the 429 of the per-account rate limit (http/rate-limits.ts). */
export const RATE_LIMITED = "too many requests of the caller's account: wait `Retry-After` seconds";

/** What the access token guard answers on every route that is not @Public(). */
const AUTHENTICATED_ROUTE_ERRORS = {
  401: UNAUTHENTICATED,
  429: RATE_LIMITED,
} as const satisfies Partial<Record<ErrorStatus, string>>;

/**
 * The error responses of a route that is not @Public(): the access token guard's 401 and 429, and
 * the route's own (which may describe its 429 more fully), e.g.
 * `@ApiAuthenticatedRouteErrors({ 404: 'no such task' })`.
 */
export function ApiAuthenticatedRouteErrors(
  errors: Partial<Record<ErrorStatus, string | ErrorResponseDescription>> = {},
): MethodDecorator & ClassDecorator {
  return ApiErrorResponses({ ...AUTHENTICATED_ROUTE_ERRORS, ...errors });
}

function errorHeaders(status: ErrorStatus): Record<string, object> | undefined {
  switch (status) {
    case 401:
      return {
        'WWW-Authenticate': {
          description: 'Always `Bearer`',
          schema: { type: 'string', const: 'Bearer' },
        },
      };
    case 429:
    case 503:
      return { 'Retry-After': retryAfterHeader('Seconds to wait before trying again') };
    default:
      return undefined;
  }
}

export function retryAfterHeader(description: string): object {
  return { description, schema: { type: 'string', pattern: '^[0-9]+$', example: '5' } };
}

export interface JsonResponseDescription {
  readonly description: string;
  /** The body's schema; `io` 'output' (what the code sends). */
  readonly schema: z.ZodType;
  readonly example?: unknown;
  readonly headers?: Record<string, object>;
}

/** A JSON success response whose body the zod schema describes. */
export function ApiJsonResponse(
  status: number,
  response: JsonResponseDescription,
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description: response.description,
    ...(response.headers === undefined ? {} : { headers: response.headers }),
    content: {
      'application/json': {
        schema: openApiSchema(response.schema, 'output'),
        ...(response.example === undefined ? {} : { example: response.example }),
      },
    },
  });
}

export interface JsonBodyDescription {
  readonly description: string;
  /**
   * The body's schema; `io` 'input' (what a client may send: fields with defaults are optional). The
   * handler parses the body with the same schema (http/request-body.ts JsonBody).
   */
  readonly schema: z.ZodType;
  readonly example?: unknown;
  /** False when an empty body is accepted (JsonBody's `optional`). */
  readonly required?: boolean;
}

/** An `application/json` request body whose schema the zod schema gives. */
export function ApiJsonBody(body: JsonBodyDescription): MethodDecorator {
  return applyDecorators(
    ApiConsumes('application/json'),
    ApiBody({
      description: body.description,
      required: body.required ?? true,
      schema: openApiSchema(body.schema, 'input'),
      ...(body.example === undefined
        ? {}
        : { examples: { example: { summary: 'example', value: body.example } } }),
    }),
  );
}

/** A path parameter holding a task, function or schedule id (24 lower-case hex characters). */
export function ApiObjectIdParam(
  name: string,
  description: string,
  example = '6405942c9956fae80d7e0e91',
): MethodDecorator & ClassDecorator {
  return ApiParam({ name, required: true, description, schema: objectIdParameterSchema(example) });
}

/** An optional query parameter holding a task, function or schedule id. */
export function ApiObjectIdQuery(
  name: string,
  description: string,
  example = '6405848581b16f7a07cd4c48',
): MethodDecorator & ClassDecorator {
  return ApiQuery({ name, required: false, description, schema: objectIdParameterSchema(example) });
}

/** An optional query parameter with the given schema. */
export function ApiOptionalQuery(
  name: string,
  description: string,
  schema: OpenApiSchema,
): MethodDecorator & ClassDecorator {
  return ApiQuery({ name, required: false, description, schema });
}

function objectIdParameterSchema(example: string): OpenApiSchema {
  return { ...openApiSchema(objectIdSchema), format: 'objectid', example };
}

/** `limit` and `cursor` of a keyset-paged list (http/page-parameters.ts). */
export function ApiPageParameters(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOptionalQuery('limit', `Rows per page, 1 to ${MAX_PAGE_SIZE}`, {
      type: 'string',
      pattern: '^[0-9]+$',
      default: String(DEFAULT_PAGE_SIZE),
      example: '100',
    }),
    ApiOptionalQuery(
      'cursor',
      'Opaque: the `cursor` of the previous page\'s `Link: <…>; rel="next"` header. A value this API did not give out is a 400',
      { type: 'string' },
    ),
  );
}

/** The usual 400 of a list that has only the page parameters. */
const INVALID_PAGE = {
  description: '`limit` is not an integer from 1 to 500, or `cursor` is not one this API gave out',
  example: {
    error: 'INVALID_REQUEST',
    message: 'cursor is not a cursor this API gave out',
    field: 'cursor',
  },
} as const satisfies ErrorResponseDescription;

export interface PageListDescription {
  readonly summary: string;
  readonly description: string;
  /** The 200: one page, an array; it gets the `Link` header of the next page. */
  readonly page: Omit<JsonResponseDescription, 'headers'>;
  /** The 400, when the list has parameters besides the page's. */
  readonly invalid?: ErrorResponseDescription;
}

/**
 * A list operation answering keyset pages (http/page-parameters.ts Paged): `limit` and `cursor`, the
 * page with its `Link` header, and the errors of the page parameters and of the access token.
 */
export function ApiPageListOperation(list: PageListDescription): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: list.summary, description: list.description }),
    ApiPageParameters(),
    ApiJsonResponse(200, { ...list.page, headers: nextPageLinkHeader }),
    ApiAuthenticatedRouteErrors({ 400: list.invalid ?? INVALID_PAGE }),
  );
}

/** The `Link` header of a page that has a next page. */
export const nextPageLinkHeader = {
  Link: {
    description:
      'Only when there is a next page: `</same/path?same=parameters&cursor=…>; rel="next"`. The last page has none',
    schema: { type: 'string', example: '</v1/task/list?limit=50&cursor=eyJ0Ijo…>; rel="next"' },
  },
} as const;

/** A query parameter holding a UTC day `yyyy-mm-dd`. */
export const calendarDayParameterSchema: OpenApiSchema = {
  type: 'string',
  format: 'date',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  example: '2024-06-22',
};

/** A query parameter holding a UTC day `yyyy-mm-dd` or unix seconds. */
export const dayOrUnixSecondsParameterSchema: OpenApiSchema = {
  type: 'string',
  pattern: '^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,11})$',
  examples: ['2024-06-22', '1719090348'],
};

/** A query parameter holding `true` or `false`. */
export const booleanParameterSchema: OpenApiSchema = {
  type: 'string',
  enum: ['true', 'false'],
  default: 'false',
};

/** Unix seconds as a decimal string, as the task API writes times. */
export const unixSecondsSchema = z
  .string()
  .regex(/^[0-9]+$/)
  .meta({ description: 'Unix seconds as a decimal string', example: '1678087212' });
