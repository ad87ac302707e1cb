import type { ReadModelDatabase } from '@canopy/read-models';
import type { ServiceLogger } from '@canopy/service-runtime';
import { Readable } from 'node:stream';
import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { MAX_ISSUE_TASK_BATCH } from '@canopy/contracts';
import { consecutiveObjectIds } from '@canopy/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { FunctionCatalog } from '../functions/function-catalog.js';
import { ApiError } from '../http/api-error.js';
import { parseRequestInput } from '../http/request-input.js';
import { objectId } from '../http/object-id-parameter.js';
import { Paged } from '../http/page-parameters.js';
import type { Page } from '../http/page-parameters.js';
import type { QueryRecord } from '../http/query-parameters.js';
import { booleanParameter, integerParameter, singleParameter } from '../http/query-parameters.js';
import { invalidParameter } from '../http/api-error.js';
import { bodyBytes, breaksDeclaredJson, invalidDeclaredJson } from '../http/request-body.js';
import { LOGGER, READ_MODEL_DB } from '../gateway-tokens.js';
import { Creation, IdempotentRequests } from '../idempotency/idempotent-requests.js';
import type { CreationExchange, Created } from '../idempotency/idempotent-requests.js';
import { taskCsvStream } from './task-csv-export.js';
import { parseTaskCsvParameters } from './task-csv-parameters.js';
import { TaskCanceller } from './task-canceller.js';
import type { CancelledTaskJson } from './task-canceller.js';
import { TaskEventStreams } from './task-event-streams.js';
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE, TaskHistory } from './task-history.js';
import { TaskBatchIssuer } from './task-batch-issuer.js';
import { taskBatchEntrySchema } from './task-batch-schemas.js';
import type { TaskBatchAnswerEntry } from './task-batch-schemas.js';
import { parseTaskIssueHeaders } from './task-issue-headers.js';
import { TaskIssuer } from './task-issuer.js';
import { RequestOrigin } from '../observability/request-observation.js';
import type { MessageOrigin } from '@canopy/observability';
import type { TaskJson, TaskListEntryJson } from './task-json.js';
import { parseTaskListParameters } from './task-list-parameters.js';
import { ResultWaiters } from './result-waiters.js';
import { TaskResults } from './task-results.js';
import { TaskReads } from './task-reads.js';
import { MAX_WAIT_SECONDS, sendTaskOutcome } from './task-result-response.js';
import {
  ApiCancelTask,
  ApiGetTask,
  ApiIssueTask,
  ApiTaskEvents,
  ApiIssueTaskBatch,
  ApiListTasks,
  ApiTaskCsv,
  ApiTaskResult,
} from './task.openapi.js';

@Controller('v1/task')
export class TaskController {
  constructor(
    @Inject(TaskIssuer) private readonly issuer: TaskIssuer,
    @Inject(TaskBatchIssuer) private readonly batchIssuer: TaskBatchIssuer,
    @Inject(IdempotentRequests) private readonly idempotency: IdempotentRequests,
    @Inject(TaskReads) private readonly reads: TaskReads,
    @Inject(ResultWaiters) private readonly resultWaiters: ResultWaiters,
    @Inject(FunctionCatalog) private readonly functions: FunctionCatalog,
    @Inject(READ_MODEL_DB) private readonly db: Kysely<ReadModelDatabase>,
    @Inject(LOGGER) private readonly logger: ServiceLogger,
    @Inject(TaskCanceller) private readonly canceller: TaskCanceller,
    @Inject(TaskHistory) private readonly history: TaskHistory,
    @Inject(TaskEventStreams) private readonly eventStreams: TaskEventStreams,
  ) {
    this.results = new TaskResults(reads, resultWaiters);
  }

  private readonly results: TaskResults;

  /**
   * Issues a task of the function: the query string, content type and body bytes are passed on to
   * it as they came; `Canopy-Priority` and `Canopy-Not-Before` set the task's own priority and
   * delay. 201 `{ "id" }` once a scheduler has recorded the task; once per Idempotency-Key.
   */
  @Post(':id')
  @ApiIssueTask()
  async issue(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('functionId')) functionId: string,
    @Creation() creation: CreationExchange,
    @RequestOrigin() origin: MessageOrigin,
  ): Promise<Created> {
    const { request } = creation;
    const options = parseTaskIssueHeaders(request.headers, new Date());
    const body = bodyBytes(request.body);
    const contentType = request.headers['content-type'];
    if (breaksDeclaredJson(body, contentType)) throw invalidDeclaredJson();
    const url = request.raw.url ?? request.url;
    const queryStart = url.indexOf('?');
    const task = {
      ...options,
      accountId: caller.accountId,
      functionId,
      request: {
        query: queryStart < 0 ? '' : url.slice(queryStart + 1),
        contentType: contentType === undefined || contentType === '' ? null : contentType,
        body: body.toString('base64'),
      },
    };
    const created = await this.idempotency.create(caller.accountId, creation, async (as) => {
      if (!as.repeated) this.resultWaiters.issued(as.id, caller.accountId);
      try {
        return await this.issuer.issue(task, as, origin);
      } catch (error) {
        this.resultWaiters.notIssued(as.id);
        throw error;
      }
    });
    this.logger.info(
      { taskId: created.id, functionId, requestId: origin.requestId },
      'task issued',
    );
    return created;
  }

  /**
   * Issues up to 1000 tasks of the function at once: the body is a JSON array of
   * `{ query, contentType, body, bodyEncoding }`. 200 with one entry per request, in order:
   * `{ status: 201, id }` or the error a single POST of it would have been answered.
   */
  @Post(':id/batch')
  @HttpCode(200)
  @ApiIssueTaskBatch()
  async issueBatch(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('functionId')) functionId: string,
    @Creation() creation: CreationExchange,
    @RequestOrigin() origin: MessageOrigin,
  ): Promise<TaskBatchAnswerEntry[]> {
    const entries = batchEntries(creation.request.body).map((entry) => {
      try {
        return { ok: true as const, request: parseRequestInput(taskBatchEntrySchema, entry) };
      } catch (error) {
        if (error instanceof ApiError) return { ok: false as const, error };
        throw error;
      }
    });
    // With an Idempotency-Key, a repeat names the same tasks (consecutive ids from the first one's)
    // and is issued again: tasks recorded the first time are repeats, the others get another chance.
    const claim = await this.idempotency.reserve(caller.accountId, creation);
    const ids = consecutiveObjectIds(claim.reservation.id, entries.length);
    const tasks = entries.flatMap((entry, index) =>
      entry.ok ? [{ taskId: ids[index] as string, request: entry.request }] : [],
    );
    const issued =
      tasks.length === 0
        ? []
        : await this.batchIssuer.issue(
            {
              accountId: caller.accountId,
              functionId,
              issuedAt: claim.reservation.at.toISOString(),
            },
            tasks,
            origin,
          );
    const outcomes = new Map(tasks.map((task, index) => [task.taskId, issued[index]]));
    const answer = entries.map((entry, index): TaskBatchAnswerEntry => {
      const outcome = entry.ok ? outcomes.get(ids[index] as string) : entry;
      if (outcome === undefined) throw new Error('a task of the batch has no outcome');
      return outcome.ok ? { status: 201, id: outcome.taskId } : batchError(outcome.error);
    });
    await claim.complete(200);
    this.logger.info(
      {
        functionId,
        requestId: origin.requestId,
        tasks: answer.length,
        refused: answer.filter((entry) => entry.status !== 201).length,
      },
      'task batch issued',
    );
    return answer;
  }

  /** The contract's bare array `[{ id, issued, progress, status }]`, newest first, paged. */
  @Get('list')
  @Paged()
  @ApiListTasks()
  async list(
    @CurrentCaller() caller: Caller,
    @Query() query: QueryRecord,
  ): Promise<Page<TaskListEntryJson>> {
    return this.reads.list(caller.accountId, parseTaskListParameters(query));
  }

  @Get(':id')
  @ApiGetTask()
  async get(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('taskId')) taskId: string,
  ): Promise<TaskJson> {
    return this.reads.task(caller.accountId, taskId);
  }

  /**
   * The function's response once the task finished; 202 `{ progress, status: 0 }` before. With
   * `?wait=N` (seconds, up to 60) the request is held until the result exists or N seconds passed.
   */
  @Get(':id/result')
  @ApiTaskResult()
  async result(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('taskId')) taskId: string,
    @Query() query: QueryRecord,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const wait = singleParameter(query, 'wait');
    const waitSeconds =
      wait === undefined ? 0 : integerParameter('wait', wait, 0, MAX_WAIT_SECONDS);
    const outcome = await this.results.outcome(
      caller.accountId,
      taskId,
      waitSeconds,
      clientGone(reply),
    );
    await sendTaskOutcome(taskId, outcome, reply);
  }

  /**
   * Cancels the task: 200 `{ id, status: 499, cancelled }` once a scheduler has recorded it (or had,
   * for a repeat); 409 TASK_FINISHED when the task ended otherwise first.
   */
  @Delete(':id')
  @ApiCancelTask('DELETE')
  async cancel(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('taskId')) taskId: string,
    @RequestOrigin() origin: MessageOrigin,
  ): Promise<CancelledTaskJson> {
    return this.canceller.cancel(caller.accountId, taskId, origin);
  }

  /** `DELETE /v1/task/:id` for clients that cannot send DELETE. */
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiCancelTask('POST')
  async cancelByPost(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('taskId')) taskId: string,
    @RequestOrigin() origin: MessageOrigin,
  ): Promise<CancelledTaskJson> {
    return this.canceller.cancel(caller.accountId, taskId, origin);
  }

  /**
   * The task's events, in order: a JSON page, or with `Accept: text/event-stream` / `?follow=true`
   * an SSE stream of them and of those that follow, until the terminal one (task-event-streams.ts).
   */
  @Get(':id/events')
  @ApiTaskEvents()
  async events(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('taskId')) taskId: string,
    @Query() query: QueryRecord,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const from = versionParameter('from', singleParameter(query, 'from')) ?? 1;
    const limitValue = singleParameter(query, 'limit');
    const limit =
      limitValue === undefined
        ? DEFAULT_HISTORY_PAGE
        : integerParameter('limit', limitValue, 1, MAX_HISTORY_PAGE);
    const followValue = singleParameter(query, 'follow');
    const follow =
      followValue === undefined
        ? (request.headers.accept ?? '').includes('text/event-stream')
        : booleanParameter('follow', followValue);
    const lastEventId = lastEventIdOf(request);
    await this.history.ensureOwned(caller.accountId, taskId);
    if (!follow) {
      const entries = await this.history.page(taskId, from, limit);
      const last = entries.at(-1);
      if (entries.length === limit && last !== undefined) {
        const url = new URL(request.url, 'http://gateway.invalid');
        url.searchParams.set('from', String(last.version + 1));
        void reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
      }
      await reply.header('cache-control', 'no-store').send(entries);
      return;
    }
    // A reconnecting client's Last-Event-ID wins over the `from` of the URL it reconnects to.
    const after = lastEventId ?? from - 1;
    // EventSource reconnects whenever a stream ends; a 204 is what tells it the task is over.
    if (after > 0 && (await this.history.endsAt(taskId, after))) {
      await reply.code(204).header('cache-control', 'no-store').send();
      return;
    }
    await reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-accel-buffering', 'no')
      .send(Readable.from(this.eventStreams.frames(taskId, after, clientGone(reply))));
  }

  /** The function's tasks as CSV (task-csv-format.ts, task-csv-parameters.ts). */
  @Get(':id/csv')
  @ApiTaskCsv()
  async csv(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('functionId')) functionId: string,
    @Query() query: QueryRecord,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { filter, showPlain } = parseTaskCsvParameters(functionId, query);
    // A deleted function's tasks stay readable.
    await this.functions.assertRegistered(caller.accountId, functionId);
    await reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="tasks-${functionId}.csv"`)
      .header('cache-control', 'no-store')
      .send(taskCsvStream(this.db, caller.accountId, filter, showPlain, this.logger));
  }
}

/** The batch's entries: a JSON array of 1 to MAX_ISSUE_TASK_BATCH values; a 400 otherwise. */
function batchEntries(body: unknown): unknown[] {
  const bytes = bodyBytes(body);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value)) {
    throw new ApiError(400, 'INVALID_REQUEST', 'the body must be a JSON array of task requests');
  }
  if (value.length === 0 || value.length > MAX_ISSUE_TASK_BATCH) {
    throw new ApiError(
      400,
      'INVALID_REQUEST',
      `a batch holds 1 to ${MAX_ISSUE_TASK_BATCH} task requests, not ${value.length}`,
    );
  }
  return value;
}

function batchError(error: ApiError): TaskBatchAnswerEntry {
  const { field } = error.options;
  return {
    status: error.status,
    error: error.code,
    message: error.message,
    ...(field === undefined ? {} : { field }),
  };
}

/** Aborts when the client closes the connection before its response is complete. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // 'close' also comes after a complete response; only a response cut short means the client left.
  // (One shared reason: aborting without one makes a DOMException, stack trace included, each time.)
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(CLIENT_LEFT);
  });
  return controller.signal;
}

const CLIENT_LEFT = new Error('the client closed the connection');

/** The largest stream version a parameter may name. */
const MAX_VERSION = 2_147_483_647;

function versionParameter(name: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : integerParameter(name, value, 1, MAX_VERSION);
}

/** The SSE `Last-Event-ID` header: the version of the last event the client has (0: none). */
function lastEventIdOf(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  if (header === undefined || header === '') return undefined;
  if (typeof header !== 'string' || !/^\d{1,10}$/.test(header) || Number(header) > MAX_VERSION)
    throw invalidParameter('Last-Event-ID', 'must be the id of an event this stream sent');
  return Number(header);
}
