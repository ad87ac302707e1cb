import type { ReadModelDatabase } from '@canopy/read-models';
import type { ServiceLogger } from '@canopy/service-runtime';
import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { FunctionCatalog } from '../functions/function-catalog.js';
import { objectId } from '../http/object-id-parameter.js';
import { Paged } from '../http/page-parameters.js';
import type { Page } from '../http/page-parameters.js';
import type { QueryRecord } from '../http/query-parameters.js';
import { integerParameter, singleParameter } from '../http/query-parameters.js';
import { bodyBytes, breaksDeclaredJson, invalidDeclaredJson } from '../http/request-body.js';
import { LOGGER, READ_MODEL_DB } from '../gateway-tokens.js';
import { taskCsvStream } from './task-csv-export.js';
import { parseTaskCsvParameters } from './task-csv-parameters.js';
import { TaskIssuer } from './task-issuer.js';
import type { TaskJson, TaskListEntryJson } from './task-json.js';
import { parseTaskListParameters } from './task-list-parameters.js';
import { ResultWaiters } from './result-waiters.js';
import { TaskReads } from './task-reads.js';
import type { TaskOutcome } from './task-reads.js';
import { MAX_WAIT_SECONDS, sendTaskOutcome } from './task-result-response.js';
import {
  ApiGetTask,
  ApiIssueTask,
  ApiListTasks,
  ApiTaskCsv,
  ApiTaskResult,
} from './task.openapi.js';

@Controller('v1/task')
export class TaskController {
  constructor(
    @Inject(TaskIssuer) private readonly issuer: TaskIssuer,
    @Inject(TaskReads) private readonly reads: TaskReads,
    @Inject(ResultWaiters) private readonly resultWaiters: ResultWaiters,
    @Inject(FunctionCatalog) private readonly functions: FunctionCatalog,
    @Inject(READ_MODEL_DB) private readonly db: Kysely<ReadModelDatabase>,
    @Inject(LOGGER) private readonly logger: ServiceLogger,
  ) {}

  /**
   * Issues a task of the function: the query string, content type and body bytes are passed on to
   * it as they came. 201 `{ "id" }` once a scheduler has recorded the task.
   */
  @Post(':id')
  @ApiIssueTask()
  async issue(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('functionId')) functionId: string,
    @Req() request: FastifyRequest,
  ): Promise<{ readonly id: string }> {
    const body = bodyBytes(request.body);
    const contentType = request.headers['content-type'];
    if (breaksDeclaredJson(body, contentType)) throw invalidDeclaredJson();
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
    const outcome = await this.awaitOutcome(
      caller.accountId,
      taskId,
      waitSeconds,
      clientGone(reply),
    );
    await sendTaskOutcome(taskId, outcome, reply);
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
      const watch = this.resultWaiters.watch(taskId);
      try {
        const outcome = await this.reads.outcome(accountId, taskId);
        const remaining = deadline - Date.now();
        if (
          outcome.kind !== 'pending' ||
          remaining <= 0 ||
          signal.aborted ||
          this.resultWaiters.isClosed
        ) {
          return outcome;
        }
        await watch.notified(remaining, signal);
      } finally {
        watch.cancel();
      }
    }
  }
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
