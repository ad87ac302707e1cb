import { MAX_ISSUE_TASK_BATCH } from '@canopy/contracts';
import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiQuery,
  ApiResponse,
} from '@nestjs/swagger';
import {
  ApiAuthenticatedRouteErrors,
  ApiIdempotentCreation,
  ApiJsonBody,
  ApiJsonResponse,
  ApiObjectIdParam,
  ApiObjectIdQuery,
  ApiOptionalQuery,
  ApiPageListOperation,
  booleanParameterSchema,
  calendarDayParameterSchema,
  dayOrUnixSecondsParameterSchema,
  retryAfterHeader,
} from '../openapi/api-description.js';
import {
  cancelledTaskSchema,
  issuedTaskSchema,
  pendingResultSchema,
  taskHistorySchema,
  taskJsonSchema,
  taskListSchema,
} from './task-api-schemas.js';
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE } from './task-history.js';
import { openApiSchema } from '../openapi/json-schema.js';
import { MAX_WAIT_SECONDS, failureMessages } from './task-result-response.js';
import { taskBatchAnswerSchema, taskBatchBodySchema } from './task-batch-schemas.js';

// The OpenAPI description of TaskController's operations (openapi/api-description.ts), one decorator
// per operation. The task API reproduces GreenCloud's: paths, fields, formats and statuses.

const ApiTaskIdParam = () => ApiObjectIdParam('id', 'The task (`taskId`)');
const TASK_NOT_FOUND = "no such task in the caller's account";
const FUNCTION_NOT_FOUND = "no such function in the caller's account";

export const ApiIssueTask = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Issue a task',
      description:
        'Runs the function once. The query string, the `Content-Type` header and the body bytes reach the function unchanged, whatever the content type. Answers 201 only once a scheduler has recorded the task, so an acknowledged task is never lost. A body declared as JSON (`application/json` or `+json`) must be valid JSON; an empty body is always accepted.',
    }),
    ApiObjectIdParam('id', 'The function to run (`functionId`)', '6404b3da46551827c611ffe5'),
    ApiQuery({
      name: 'parameters',
      required: false,
      description: 'Any query parameters, passed to the function as the raw query string',
      style: 'form',
      explode: true,
      schema: { type: 'object', additionalProperties: { type: 'string' } },
      example: { myParam1: '100', myParam2: 'Green' },
    }),
    ApiHeader({
      name: 'Canopy-Priority',
      required: false,
      description:
        "The task's priority, 0..9 (9 is taken first); without it the function's (default 5). Waiting also raises a task's rank: one level per `SCHEDULER_PRIORITY_AGING_SECONDS` (60) waited, so no task starves.",
      schema: { type: 'integer', minimum: 0, maximum: 9, example: 7 },
    }),
    ApiHeader({
      name: 'Canopy-Not-Before',
      required: false,
      description:
        'Unix seconds: no node is offered the task before then. At most 30 days ahead and at most an hour in the past (a past time means now). A header, not a query parameter, since the query string belongs to the function.',
      schema: { type: 'string', pattern: '^[0-9]{1,16}$', example: '1767225600' },
    }),
    ApiConsumes('application/json', '*/*'),
    ApiBody({
      required: false,
      description: "Any body, up to the gateway's body limit; passed to the function as bytes",
      schema: {},
      examples: {
        json: { summary: 'JSON', value: { name: 'John Doe', age: 30, admin: true } },
      },
    }),
    ApiIdempotentCreation('task', 201, {
      description: 'The task is recorded',
      schema: issuedTaskSchema,
      example: { id: '63f47d24dab5eb85451f3b61' },
    }),
    ApiAuthenticatedRouteErrors({
      400: {
        description:
          'the function id is not 24 lower-case hex characters, a body declared as JSON is not valid JSON, the Idempotency-Key is malformed or sent twice, or `Canopy-Priority` / `Canopy-Not-Before` is invalid (`field` names the header)',
        example: {
          error: 'INVALID_REQUEST',
          message: 'body is declared as JSON but is not valid JSON',
          field: 'body',
        },
      },
      404: FUNCTION_NOT_FOUND,
      429: {
        description:
          "too many requests of the caller's account, or too many of its tasks are unfinished: wait `Retry-After` seconds",
        codes: ['RATE_LIMITED', 'NO_QUOTA_AVAILABLE'],
      },
      413: "the body is larger than the gateway's limit (`GATEWAY_BODY_LIMIT_BYTES`)",
      503: 'no scheduler recorded the task in time (asked twice), or the event store is unavailable: try again',
    }),
  );

export const ApiIssueTaskBatch = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Issue many tasks at once',
      description: `Issues up to ${MAX_ISSUE_TASK_BATCH} tasks of the function in one request, recorded together (far faster per task than single POSTs). Each request is checked and issued on its own: the answer (200) lists, in the body's order, \`{ status: 201, id }\` for every task recorded or the error a single POST of that request would have been answered, with its \`status\`. Tasks of one batch get consecutive ids and one issue time. A batch counts once against the rate limit; every task counts against the account's quota of unfinished tasks.`,
    }),
    ApiObjectIdParam('id', 'The function to run (`functionId`)', '6404b3da46551827c611ffe5'),
    ApiJsonBody({
      description: `A JSON array of 1 to ${MAX_ISSUE_TASK_BATCH} task requests (at most \`GATEWAY_BATCH_BODY_LIMIT_BYTES\`, 16 MiB by default, in all)`,
      schema: taskBatchBodySchema,
      example: [
        { query: 'city=Berlin', body: { report: 'daily' } },
        { query: 'city=Paris', contentType: 'text/plain', body: 'hello' },
        { contentType: 'application/octet-stream', body: 'AAEC/w==', bodyEncoding: 'base64' },
      ],
    }),
    ApiIdempotentCreation('task', 200, {
      description: 'One entry per request, in order',
      schema: taskBatchAnswerSchema,
      example: [
        { status: 201, id: '63f47d24dab5eb85451f3b61' },
        { status: 201, id: '63f47d24dab5eb85451f3b62' },
        {
          status: 400,
          error: 'INVALID_REQUEST',
          message: 'body is declared as JSON but is not valid JSON',
          field: 'body',
        },
      ],
    }),
    ApiAuthenticatedRouteErrors({
      400: {
        description: `the function id is not 24 lower-case hex characters, the body is not a JSON array of 1 to ${MAX_ISSUE_TASK_BATCH} values, or the Idempotency-Key is malformed or sent twice`,
        example: {
          error: 'INVALID_REQUEST',
          message: 'the body must be a JSON array of task requests',
        },
      },
      404: FUNCTION_NOT_FOUND,
      413: "the body is larger than the gateway's batch limit (`GATEWAY_BATCH_BODY_LIMIT_BYTES`)",
      503: 'no scheduler answered in time and no task was recorded: try again (with the same Idempotency-Key)',
    }),
  );

export const ApiListTasks = () =>
  applyDecorators(
    ApiPageListOperation({
      summary: 'List tasks',
      description:
        "The account's tasks, newest first (issue time, then id), as keyset pages: a page costs the same however deep, and no task is skipped or repeated while tasks are issued.",
      page: {
        description: 'One page of tasks',
        schema: taskListSchema,
        example: [
          { id: '6405942c9956fae80d7e0e91', issued: '1680786622', progress: 75, status: 0 },
          { id: '640581c89956fae80d7e0e85', issued: '1680786622', progress: 100, status: 200 },
        ],
      },
      invalid: {
        description:
          'a parameter is malformed or repeated, `since` is after `until`, or the cursor is not one this API gave out',
        example: {
          error: 'INVALID_REQUEST',
          message: 'limit must be an integer from 1 to 500',
          field: 'limit',
        },
      },
    }),
    ApiObjectIdQuery('functionId', "Only this function's tasks"),
    ApiOptionalQuery('status', '`0` (not terminal yet) or an HTTP status from 100 to 599', {
      type: 'string',
      pattern: '^[0-9]{1,3}$',
      example: '200',
    }),
    ApiOptionalQuery(
      'since',
      'Issued at or after: a UTC day `yyyy-mm-dd` (from its start) or unix seconds',
      dayOrUnixSecondsParameterSchema,
    ),
    ApiOptionalQuery(
      'until',
      'Issued at or before: a UTC day `yyyy-mm-dd` (to its end) or unix seconds',
      dayOrUnixSecondsParameterSchema,
    ),
  );

export const ApiGetTask = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Get a task',
      description:
        'The task as the read models show it, or folded from its event stream when they lag behind: a task is never missing right after its 201.',
    }),
    ApiTaskIdParam(),
    ApiJsonResponse(200, {
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
    }),
    ApiAuthenticatedRouteErrors({
      400: 'the task id is not 24 lower-case hex characters',
      404: TASK_NOT_FOUND,
      503: 'the event store is unavailable: try again',
    }),
  );

export const ApiTaskResult = () =>
  applyDecorators(
    ApiOperation({
      summary: "Get a task's result",
      description:
        "Once the task finished: the function's own HTTP response, whatever its status and content type (its headers too, except hop-by-hop, framing, encoding, `set-cookie` and `date`). Before: 202. A task the platform gave up on: its failure status with an `ApiError` body. With `wait`, the request is held until the result exists or `wait` seconds passed.",
    }),
    ApiTaskIdParam(),
    ApiOptionalQuery(
      'wait',
      `Seconds, 0 to ${MAX_WAIT_SECONDS}, to hold the request while the task is not finished`,
      { type: 'string', pattern: '^[0-9]+$', default: '0', example: '10' },
    ),
    ApiResponse({
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
    }),
    ApiJsonResponse(202, {
      description: 'The task has not finished yet',
      schema: pendingResultSchema,
      example: { progress: 75, status: 0 },
      headers: { 'Retry-After': retryAfterHeader('Seconds before asking again (1)') },
    }),
    ApiResponse({
      status: 'default',
      description:
        "Any other status the function answered with (3xx, 4xx, 5xx), with the function's headers, content type and body, as for 200",
      content: { '*/*': { schema: { description: 'Any content' } } },
    }),
    ApiAuthenticatedRouteErrors({
      400: `the task id is not 24 lower-case hex characters, or \`wait\` is not an integer from 0 to ${MAX_WAIT_SECONDS}`,
      404: TASK_NOT_FOUND,
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
    }),
  );

export const ApiTaskCsv = () =>
  applyDecorators(
    ApiOperation({
      summary: "Export a function's tasks as CSV",
      description:
        "One row per task of the function, oldest first, streamed: `ID,IssuedAt,Status,ContentType,Body`. `IssuedAt` is RFC 3339 UTC to the second. RFC 4180 quoting with CRLF line ends; a cell starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` against formula injection (strip one leading `'` of a base64 body before decoding). A task not finished yet has status 0 and empty content type and body.",
    }),
    ApiObjectIdParam('id', 'The function (`functionId`)', '6405848581b16f7a07cd4c48'),
    ApiOptionalQuery(
      'showPlain',
      '`true`: bodies as UTF-8 text (invalid UTF-8 becomes U+FFFD); `false`: bodies in base64',
      booleanParameterSchema,
    ),
    ApiObjectIdQuery(
      'functionId',
      "Optional, as in GreenCloud's API: must be the path's function id",
    ),
    ApiObjectIdQuery(
      'scheduleId',
      'Only the tasks this schedule issued',
      '6677391a241c7178b29e4a4a',
    ),
    ApiObjectIdQuery(
      'scheduledId',
      'Another spelling of `scheduleId`; when both are given they must agree',
      '6677391a241c7178b29e4a4a',
    ),
    ApiOptionalQuery(
      'dateSince',
      'Issued on or after this UTC day `yyyy-mm-dd`',
      calendarDayParameterSchema,
    ),
    ApiOptionalQuery(
      'dateUntil',
      'Issued on or before this UTC day `yyyy-mm-dd`',
      calendarDayParameterSchema,
    ),
    ApiResponse({
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
    }),
    ApiAuthenticatedRouteErrors({
      400: {
        description:
          'the function id or a parameter is malformed or repeated, a day does not exist (`2025-24-03`), `dateSince` is after `dateUntil`, or `functionId` / `scheduledId` disagree',
        example: {
          error: 'INVALID_REQUEST',
          message: 'dateUntil must be a date yyyy-mm-dd (UTC), e.g. 2024-06-22',
          field: 'dateUntil',
        },
      },
      404: FUNCTION_NOT_FOUND,
    }),
  );

export const ApiCancelTask = (how: 'DELETE' | 'POST') =>
  applyDecorators(
    ApiOperation({
      summary:
        how === 'DELETE' ? 'Cancel a task' : 'Cancel a task (for clients that cannot send DELETE)',
      description:
        "Withdraws the task: a waiting one leaves the queue; a running one is recorded as cancelled at once and its node is told to stop the function (a process gets SIGTERM, then SIGKILL after the node's grace). The task ends as failed with reason `CANCELLED`: status 499 in every read. Repeating it answers the same. A task that ended before the cancellation was recorded (its result, a timeout...) stays as it ended: 409 `TASK_FINISHED` with the status it ended with. Cancel racing the result: whichever the event store records first wins, and the answer says which." +
        (how === 'POST' ? ' The same as `DELETE /v1/task/{id}`.' : ''),
    }),
    ApiTaskIdParam(),
    ApiJsonResponse(200, {
      description: 'The task is cancelled (by this request or an earlier one)',
      schema: cancelledTaskSchema,
      example: { id: '6405942c9956fae80d7e0e91', status: 499, cancelled: '1678089212' },
    }),
    ApiAuthenticatedRouteErrors({
      400: 'the task id is not 24 lower-case hex characters',
      404: TASK_NOT_FOUND,
      409: {
        description:
          'the task had ended before the cancellation came, and stays as it ended: `status` and `finished` say how and when',
        codes: ['TASK_FINISHED'],
        example: {
          error: 'TASK_FINISHED',
          message:
            'the task had already finished with status 200 when the cancellation came; it stays as it ended',
          status: 200,
          finished: '1678089212',
        },
      },
      503: 'no scheduler recorded the cancellation in time, or the event store is unavailable: try again',
    }),
  );

export const ApiTaskEvents = () =>
  applyDecorators(
    ApiOperation({
      summary: "A task's history, or its live progress",
      description:
        "The task's events in the order they were recorded, each with its stream version (1, 2, 3... without gaps), its type, when it happened (unix seconds) and what a client may see of it: never the request or the response (read those with `GET /v1/task/{id}` and `/result`). As JSON: one page of up to `limit` events from version `from`, with a `Link` to the next page while the page is full. With `Accept: text/event-stream` or `follow=true`: Server-Sent Events, one per event (`id` = the version, `event` = the type, `data` = the JSON entry), the recorded ones first and then each new one as it is recorded, until the terminal event (`TaskFinished` or `TaskFailed`), after which the stream ends. A comment line keeps an idle stream open every 15 s. After a dropped connection, a client that reconnects with `Last-Event-ID` (as EventSource does) gets exactly the events after that version; after the terminal event, 204.",
    }),
    ApiTaskIdParam(),
    ApiOptionalQuery('from', 'The first version to return (default 1)', {
      type: 'string',
      pattern: '^[0-9]+$',
      example: '1',
    }),
    ApiOptionalQuery(
      'limit',
      `Events in a JSON page, 1 to ${MAX_HISTORY_PAGE} (default ${DEFAULT_HISTORY_PAGE}); a stream sends them all`,
      { type: 'string', pattern: '^[0-9]+$', example: '100' },
    ),
    ApiOptionalQuery(
      'follow',
      '`true`: stream Server-Sent Events (as `Accept: text/event-stream` does); `false`: a JSON page whatever `Accept` says',
      booleanParameterSchema,
    ),
    ApiResponse({
      status: 200,
      description:
        'The events: a JSON page, or an SSE stream (`text/event-stream`) that ends after the terminal event',
      headers: {
        Link: {
          description:
            'JSON pages only, while a page is full: `</v1/task/{id}/events?from=<next version>&limit=…>; rel="next"`',
          schema: { type: 'string' },
        },
      },
      content: {
        'application/json': {
          schema: openApiSchema(taskHistorySchema, 'output'),
          example: [
            {
              version: 1,
              type: 'TaskIssued',
              at: '1678087212',
              data: {
                functionId: '6405848581b16f7a07cd4c48',
                scheduleId: null,
                timeout: 10,
                maxAttempts: 3,
                capabilities: { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false },
                priority: 5,
                notBefore: null,
              },
            },
            {
              version: 2,
              type: 'TaskAssigned',
              at: '1678087213',
              data: { node: 'local-node', attempt: 1 },
            },
            {
              version: 3,
              type: 'TaskProgressed',
              at: '1678087214',
              data: { attempt: 1, progress: 50 },
            },
            {
              version: 4,
              type: 'TaskFinished',
              at: '1678087215',
              data: { attempt: 1, status: 200 },
            },
          ],
        },
        'text/event-stream': {
          schema: { type: 'string' },
          example:
            'retry: 1000\n\nid: 3\nevent: TaskProgressed\ndata: {"version":3,"type":"TaskProgressed","at":"1678087214","data":{"attempt":1,"progress":50}}\n\n',
        },
      },
    }),
    ApiResponse({
      status: 204,
      description:
        'A stream asked to resume after the terminal event (`Last-Event-ID`, or `from`): nothing will follow, and EventSource stops reconnecting',
    }),
    ApiAuthenticatedRouteErrors({
      400: 'the task id, `from`, `limit`, `follow` or `Last-Event-ID` is malformed',
      404: TASK_NOT_FOUND,
      503: 'the event store is unavailable: try again',
    }),
  );
