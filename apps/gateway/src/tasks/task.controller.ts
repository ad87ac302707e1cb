import type { ReadModelDatabase } from '@canopy/read-models';
import type { ServiceLogger } from '@canopy/service-runtime';
import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { FunctionCatalog } from '../functions/function-catalog.js';
import { ApiError, notFound } from '../http/api-error.js';
import { objectIdParameter } from '../http/object-id-parameter.js';
import { answerPage } from '../http/page-parameters.js';
import type { QueryRecord } from '../http/query-parameters.js';
import { integerParameter, singleParameter } from '../http/query-parameters.js';
import { bodyBytes, isJsonContentType, isJsonDocument } from '../http/request-body.js';
import { LOGGER, READ_MODEL_DB } from '../gateway-tokens.js';
import {
  AUTHENTICATED_ROUTE_ERRORS,
  ApiErrorResponses,
  ApiJsonResponse,
  ApiObjectIdParam,
  ApiObjectIdQuery,
  ApiOptionalQuery,
  ApiPageParameters,
  booleanParameterSchema,
  calendarDayParameterSchema,
  dayOrUnixSecondsParameterSchema,
  nextPageLinkHeader,
  retryAfterHeader,
} from '../openapi/api-description.js';
import {
  issuedTaskSchema,
  pendingResultSchema,
  taskJsonSchema,
  taskListSchema,
} from './task-api-schemas.js';
import { passedResultHeaders } from './result-headers.js';
import { taskCsvStream } from './task-csv-export.js';
import { parseTaskCsvParameters } from './task-csv-parameters.js';
import { TaskIssuer } from './task-issuer.js';
import type { TaskJson, TaskListEntryJson } from './task-json.js';
import { parseTaskListParameters } from './task-list-parameters.js';
import { TaskNotifications } from './task-notifications.js';
import { TaskReads } from './task-reads.js';
import type { TaskOutcome } from './task-reads.js';

const MAX_WAIT_SECONDS = 60;
const PENDING_RETRY_AFTER_SECONDS = 1;

const failureMessages = {
  TIMEOUT: 'the function did not finish within its timeout',
  NO_RUNNER: 'no node able to run the function became available in time',
  NODE_LOST: 'the node running the task was lost and no attempt is left',
  CANCELLED: 'the task was cancelled',
} as const;

@Controller('v1/task')
export class TaskController {
  constructor(
    @Inject(TaskIssuer) private readonly issuer: TaskIssuer,
    @Inject(TaskReads) private readonly reads: TaskReads,
    @Inject(TaskNotifications) private readonly notifications: TaskNotifications,
    @Inject(FunctionCatalog) private readonly functions: FunctionCatalog,
    @Inject(READ_MODEL_DB) private readonly db: Kysely<ReadModelDatabase>,
    @Inject(LOGGER) private readonly logger: ServiceLogger,
  ) {}

  /**
   * Issues a task of the function: the query string, content type and body bytes are passed on to
   * it as they came. 201 `{ "id" }` once a scheduler has recorded the task.
   */
  @Post(':id')
  @ApiOperation({
    summary: 'Issue a task',
    description:
      'Runs the function once. The query string, the `Content-Type` header and the body bytes reach the function unchanged, whatever the content type. Answers 201 only once a scheduler has recorded the task, so an acknowledged task is never lost. A body declared as JSON (`application/json` or `+json`) must be valid JSON; an empty body is always accepted.',
  })
  @ApiObjectIdParam('id', 'The function to run (`functionId`)', '6404b3da46551827c611ffe5')
  @ApiQuery({
    name: 'parameters',
    required: false,
    description: 'Any query parameters, passed to the function as the raw query string',
    style: 'form',
    explode: true,
    schema: { type: 'object', additionalProperties: { type: 'string' } },
    example: { myParam1: '100', myParam2: 'Green' },
  })
  @ApiConsumes('application/json', '*/*')
  @ApiBody({
    required: false,
    description: "Any body, up to the gateway's body limit; passed to the function as bytes",
    schema: {},
    examples: {
      json: { summary: 'JSON', value: { name: 'John Doe', age: 30, admin: true } },
    },
  })
  @ApiJsonResponse(201, {
    description: 'The task is recorded',
    schema: issuedTaskSchema,
    example: { id: '63f47d24dab5eb85451f3b61' },
  })
  @ApiErrorResponses({
    400: {
      description:
        'the function id is not 24 lower-case hex characters, or a body declared as JSON is not valid JSON',
      example: {
        error: 'INVALID_REQUEST',
        message: 'body is declared as JSON but is not valid JSON',
        field: 'body',
      },
    },
    ...AUTHENTICATED_ROUTE_ERRORS,
    404: "no such function in the caller's account",
    429: {
      description:
        "too many requests of the caller's account, or too many of its tasks are unfinished: wait `Retry-After` seconds",
      codes: ['RATE_LIMITED', 'NO_QUOTA_AVAILABLE'],
    },
    413: "the body is larger than the gateway's limit (`GATEWAY_BODY_LIMIT_BYTES`)",
    503: 'no scheduler recorded the task in time (asked twice), or the event store is unavailable: try again',
  })
  async issue(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ): Promise<{ readonly id: string }> {
    const functionId = objectIdParameter('functionId', id);
    const body = bodyBytes(request.body);
    const contentType = request.headers['content-type'];
    if (body.length > 0 && isJsonContentType(contentType) && !isJsonDocument(body)) {
      throw new ApiError(400, 'INVALID_REQUEST', 'body is declared as JSON but is not valid JSON', {
        field: 'body',
      });
    }
    const url = request.raw.url ?? request.url;
    const queryStart = url.indexOf('?');
    const taskId = await this.issuer.issue({
      accountId: caller.accountId,
      functionId,
      request: {
        query: queryStart < 0 ? '' : url.slice(queryStart + 1),
        contentType: contentType === undefined || contentType === '' ? null : contentType,
        body: body.toString('base64'),
      },
    });
    this.logger.info({ taskId, functionId }, 'task issued');
    return { id: taskId };
  }

  /** The contract's bare array `[{ id, issued, progress, status }]`, newest first, paged. */
  @Get('list')
  @ApiOperation({
    summary: 'List tasks',
    description:
      "The account's tasks, newest first (issue time, then id), as keyset pages: a page costs the same however deep, and no task is skipped or repeated while tasks are issued.",
  })
  @ApiPageParameters()
  @ApiObjectIdQuery('functionId', "Only this function's tasks")
  @ApiOptionalQuery('status', '`0` (not terminal yet) or an HTTP status from 100 to 599', {
    type: 'string',
    pattern: '^[0-9]{1,3}$',
    example: '200',
  })
  @ApiOptionalQuery(
    'since',
    'Issued at or after: a UTC day `yyyy-mm-dd` (from its start) or unix seconds',
    dayOrUnixSecondsParameterSchema,
  )
  @ApiOptionalQuery(
    'until',
    'Issued at or before: a UTC day `yyyy-mm-dd` (to its end) or unix seconds',
    dayOrUnixSecondsParameterSchema,
  )
  @ApiJsonResponse(200, {
    description: 'One page of tasks',
    schema: taskListSchema,
    headers: nextPageLinkHeader,
    example: [
      { id: '6405942c9956fae80d7e0e91', issued: '1680786622', progress: 75, status: 0 },
      { id: '640581c89956fae80d7e0e85', issued: '1680786622', progress: 100, status: 200 },
    ],
  })
  @ApiErrorResponses({
    400: {
      description:
        'a parameter is malformed or repeated, `since` is after `until`, or the cursor is not one this API gave out',
      example: {
        error: 'INVALID_REQUEST',
        message: 'limit must be an integer from 1 to 500',
        field: 'limit',
      },
    },
    ...AUTHENTICATED_ROUTE_ERRORS,
  })
  async list(
    @CurrentCaller() caller: Caller,
    @Query() query: QueryRecord,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskListEntryJson[]> {
    return answerPage(
      request,
      reply,
      await this.reads.list(caller.accountId, parseTaskListParameters(query)),
    );
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Get a task',
    description:
      'The task as the read models show it, or folded from its event stream when they lag behind: a task is never missing right after its 201.',
  })
  @ApiObjectIdParam('id', 'The task (`taskId`)')
  @ApiJsonResponse(200, {
    description: 'The task',
    schema: taskJsonSchema,
    example: {
      id: '6405942c9956fae80d7e0e91',
      functionId: '6405848581b16f7a07cd4c48',
      issued: '1678087212',
      assigned: '1678088212',
      finished: '1678089212',
      progress: 100,
      node: '1a061cfd-df01-4b02-a067-5122c5941e15',
      timeout: 10,
      capabilities: { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: true },
      status: 200,
    },
  })
  @ApiErrorResponses({
    400: 'the task id is not 24 lower-case hex characters',
    ...AUTHENTICATED_ROUTE_ERRORS,
    404: "no such task in the caller's account",
    503: 'the event store is unavailable: try again',
  })
  async get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<TaskJson> {
    return this.reads.task(caller.accountId, objectIdParameter('taskId', id));
  }

  /**
   * The function's response once the task finished; 202 `{ progress, status: 0 }` before. With
   * `?wait=N` (seconds, up to 60) the request is held until the result exists or N seconds passed.
   */
  @Get(':id/result')
  @ApiOperation({
    summary: "Get a task's result",
    description:
      "Once the task finished: the function's own HTTP response, whatever its status and content type (its headers too, except hop-by-hop, framing, encoding, `set-cookie` and `date`). Before: 202. A task the platform gave up on: its failure status with an `ApiError` body. With `wait`, the request is held until the result exists or `wait` seconds passed.",
  })
  @ApiObjectIdParam('id', 'The task (`taskId`)')
  @ApiOptionalQuery(
    'wait',
    `Seconds, 0 to ${MAX_WAIT_SECONDS}, to hold the request while the task is not finished`,
    { type: 'string', pattern: '^[0-9]+$', default: '0', example: '10' },
  )
  @ApiResponse({
    status: 200,
    description:
      "The function's response, unchanged: any status from 200 to 599 the function answered with (200 shown here), its content type (`application/octet-stream` when it gave none) and body bytes",
    content: {
      '*/*': {
        schema: { description: 'Any content: the bytes the function returned' },
        examples: {
          text: { summary: 'text/plain', value: 'Hello from GreenCloud!' },
          json: {
            summary: 'application/json',
            value: { Status: 'OK', Active: true, Nodes: ['west', 'south'], Count: 40 },
          },
        },
      },
    },
  })
  @ApiJsonResponse(202, {
    description: 'The task has not finished yet',
    schema: pendingResultSchema,
    example: { progress: 75, status: 0 },
    headers: { 'Retry-After': retryAfterHeader('Seconds before asking again (1)') },
  })
  @ApiResponse({
    status: 'default',
    description:
      "Any other status the function answered with (3xx, 4xx, 5xx), with the function's headers, content type and body, as for 200",
    content: { '*/*': { schema: { description: 'Any content' } } },
  })
  @ApiErrorResponses({
    400: 'the task id is not 24 lower-case hex characters, or `wait` is not an integer from 0 to 60',
    ...AUTHENTICATED_ROUTE_ERRORS,
    404: "no such task in the caller's account",
    499: {
      description: 'the task was cancelled',
      example: { error: 'CANCELLED', message: failureMessages.CANCELLED },
    },
    502: {
      description:
        'the node running the task was lost and no attempt was left, or the function answered with a status below 200',
      codes: ['NODE_LOST', 'INVALID_FUNCTION_RESPONSE'],
      example: { error: 'NODE_LOST', message: failureMessages.NODE_LOST },
    },
    503: {
      description:
        'no node able to run the function became available in time, or the event store is unavailable',
      codes: ['NO_RUNNER', 'UNAVAILABLE'],
      example: { error: 'NO_RUNNER', message: failureMessages.NO_RUNNER },
    },
    504: {
      description: 'the function did not finish within its timeout',
      example: { error: 'TIMEOUT', message: failureMessages.TIMEOUT },
    },
  })
  async result(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Query() query: QueryRecord,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const taskId = objectIdParameter('taskId', id);
    const wait = singleParameter(query, 'wait');
    const waitSeconds =
      wait === undefined ? 0 : integerParameter('wait', wait, 0, MAX_WAIT_SECONDS);
    const outcome = await this.awaitOutcome(
      caller.accountId,
      taskId,
      waitSeconds,
      clientGone(reply),
    );
    await this.sendOutcome(taskId, outcome, reply);
  }

  /** The function's tasks as CSV (task-csv-format.ts, task-csv-parameters.ts). */
  @Get(':id/csv')
  @ApiOperation({
    summary: "Export a function's tasks as CSV",
    description:
      "One row per task of the function, oldest first, streamed: `ID,IssuedAt,Status,ContentType,Body`. `IssuedAt` is RFC 3339 UTC to the second. RFC 4180 quoting with CRLF line ends; a cell starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` against formula injection (strip one leading `'` of a base64 body before decoding). A task not finished yet has status 0 and empty content type and body.",
  })
  @ApiObjectIdParam('id', 'The function (`functionId`)', '6405848581b16f7a07cd4c48')
  @ApiOptionalQuery(
    'showPlain',
    '`true`: bodies as UTF-8 text (invalid UTF-8 becomes U+FFFD); `false`: bodies in base64',
    booleanParameterSchema,
  )
  @ApiObjectIdQuery(
    'functionId',
    "Optional, as in GreenCloud's API: must be the path's function id",
  )
  @ApiObjectIdQuery('scheduleId', 'Only the tasks this schedule issued', '6677391a241c7178b29e4a4a')
  @ApiObjectIdQuery(
    'scheduledId',
    'Another spelling of `scheduleId`; when both are given they must agree',
    '6677391a241c7178b29e4a4a',
  )
  @ApiOptionalQuery(
    'dateSince',
    'Issued on or after this UTC day `yyyy-mm-dd`',
    calendarDayParameterSchema,
  )
  @ApiOptionalQuery(
    'dateUntil',
    'Issued on or before this UTC day `yyyy-mm-dd`',
    calendarDayParameterSchema,
  )
  @ApiResponse({
    status: 200,
    description: "The function's tasks",
    headers: {
      'Content-Disposition': {
        description: 'attachment; filename="tasks-<functionId>.csv"',
        schema: { type: 'string' },
      },
    },
    content: {
      'text/csv; charset=utf-8': {
        schema: { type: 'string' },
        example:
          'ID,IssuedAt,Status,ContentType,Body\r\n66773caefe3f89cf057bedcf,2024-06-22T21:05:48Z,200,text/plain,I am a storage Test!\r\n',
      },
    },
  })
  @ApiErrorResponses({
    400: {
      description:
        'the function id or a parameter is malformed or repeated, a day does not exist (`2025-24-03`), `dateSince` is after `dateUntil`, or `functionId` / `scheduledId` disagree',
      example: {
        error: 'INVALID_REQUEST',
        message: 'dateUntil must be a date yyyy-mm-dd (UTC), e.g. 2024-06-22',
        field: 'dateUntil',
      },
    },
    ...AUTHENTICATED_ROUTE_ERRORS,
    404: "no such function in the caller's account",
  })
  async csv(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Query() query: QueryRecord,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const functionId = objectIdParameter('functionId', id);
    const { filter, showPlain } = parseTaskCsvParameters(functionId, query);
    await this.functions.get(caller.accountId, functionId);
    await reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="tasks-${functionId}.csv"`)
      .header('cache-control', 'no-store')
      .send(taskCsvStream(this.db, caller.accountId, filter, showPlain, this.logger));
  }

  // Each round registers for the task's notification before reading, so a notification published
  // in between is not lost; it ends on an outcome that is not pending, at the deadline, when the
  // client leaves or when the gateway stops.
  private async awaitOutcome(
    accountId: string,
    taskId: string,
    waitSeconds: number,
    signal: AbortSignal,
  ): Promise<TaskOutcome> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const watch = this.notifications.watch(taskId);
      try {
        const outcome = await this.reads.outcome(accountId, taskId);
        const remaining = deadline - Date.now();
        if (
          outcome.kind !== 'pending' ||
          remaining <= 0 ||
          signal.aborted ||
          this.notifications.isClosed
        ) {
          return outcome;
        }
        await watch.notified(remaining, signal);
      } finally {
        watch.cancel();
      }
    }
  }

  private async sendOutcome(
    taskId: string,
    outcome: TaskOutcome,
    reply: FastifyReply,
  ): Promise<void> {
    switch (outcome.kind) {
      case 'finished': {
        if (outcome.status < 200) {
          // An interim status cannot end an HTTP exchange.
          throw new ApiError(
            502,
            'INVALID_FUNCTION_RESPONSE',
            `the function answered with status ${outcome.status}`,
          );
        }
        void reply.code(outcome.status).headers(passedResultHeaders(outcome.headers));
        if (outcome.contentType !== null) void reply.header('content-type', outcome.contentType);
        await reply.send(outcome.body);
        return;
      }
      case 'failed':
        throw new ApiError(outcome.status, outcome.reason, failureMessages[outcome.reason]);
      case 'pending':
        await reply
          .code(202)
          .header('retry-after', String(PENDING_RETRY_AFTER_SECONDS))
          .header('cache-control', 'no-store')
          .send({ progress: outcome.progress, status: 0 });
        return;
      case 'missing':
        throw notFound(`no task ${taskId}`);
      default:
        return unknownOutcome(outcome);
    }
  }
}

/** Aborts when the client closes the connection before its response is complete. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}

function unknownOutcome(outcome: never): never {
  throw new Error(`Unhandled task outcome ${JSON.stringify(outcome)}`);
}
