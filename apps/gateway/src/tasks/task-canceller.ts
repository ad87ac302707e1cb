import {
  CANCEL_TASK_AGAIN_SUBJECT,
  CANCEL_TASK_SUBJECT,
  cancelTaskErrorCodes,
  decodeJson,
  parseCancelTaskReply,
  parseCancelTaskRequest,
} from '@canopy/contracts';
import type { CancelTaskReply, CancelTaskRequest, TaskEnding } from '@canopy/contracts';
import { noOrigin } from '@canopy/observability';
import type { MessageOrigin } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { MsgHdrs } from '@nats-io/transport-node';
import { ApiError, notFound, unavailable } from '../http/api-error.js';
import { inRequestSpan } from './scheduler-requests.js';
import type { SchedulerRequests } from './scheduler-requests.js';
import { unixSeconds } from './task-json.js';

// DELETE /v1/task/:taskId (and POST /v1/task/:taskId/cancel): the gateway asks a scheduler to record
// the cancellation (CANCEL_TASK_SUBJECT, request/reply); the scheduler replies once the task's ending
// is in the event store, saying what it is. A request without a reply is asked again until the time
// for it runs out (the same request: repeating a cancellation changes nothing), then answered 503
// (scheduler-requests.ts).

const RETRY_AFTER_SECONDS = 5;
/** The longest one request may wait for its reply before it is asked again. */
const ATTEMPT_TIMEOUT_MS = 2_000;

/** The 200 answer: the task is cancelled (now, or by an earlier request). */
export interface CancelledTaskJson {
  readonly id: string;
  /** 499, the status a cancelled task has everywhere in the API. */
  readonly status: number;
  /** When the cancellation was recorded, unix seconds. */
  readonly cancelled: string;
}

export class TaskCanceller {
  private readonly encoder = new TextEncoder();

  constructor(
    /** Asks until the cancellation is recorded or the time for it runs out, then answers 503. */
    private readonly schedulers: SchedulerRequests,
    private readonly logger: ServiceLogger,
  ) {}

  /**
   * The cancelled task; a 409 TASK_FINISHED (with the status it ended with) when it ended otherwise
   * first, a 404 for a task the account does not have, a 503 when no scheduler answered.
   */
  async cancel(
    accountId: string,
    taskId: string,
    origin: MessageOrigin = noOrigin,
  ): Promise<CancelledTaskJson> {
    const request = parseCancelTaskRequest({ taskId, accountId });
    const reply = await inRequestSpan(
      'CancelTask',
      CANCEL_TASK_SUBJECT,
      origin,
      (headers, span) => {
        span?.setAttribute('canopy.task.id', taskId);
        return this.requestUntilAnswered(request, headers, origin.requestId);
      },
    );
    if (!reply.ok) {
      if (reply.error.code === cancelTaskErrorCodes.TASK_NOT_FOUND)
        throw notFound(`no task ${taskId}`);
      this.logger.error(
        { taskId, code: reply.error.code, requestId: origin.requestId },
        'CancelTask refused',
      );
      throw unavailable('the task could not be cancelled; try again later', RETRY_AFTER_SECONDS);
    }
    return answerOf(taskId, reply.ending);
  }

  private async requestUntilAnswered(
    request: CancelTaskRequest,
    headers: MsgHdrs | undefined,
    requestId: string | undefined,
  ): Promise<CancelTaskReply> {
    const payload = this.encoder.encode(JSON.stringify(request));
    const answer = await this.schedulers.askUntilAnswered({
      name: 'CancelTask',
      subject: CANCEL_TASK_SUBJECT,
      againSubject: CANCEL_TASK_AGAIN_SUBJECT,
      headers,
      longestAttemptMs: ATTEMPT_TIMEOUT_MS,
      payload: () => payload,
      parse: (data) => parseCancelTaskReply(decodeJson(data, 'CancelTask reply')),
      unsettled: (reply) =>
        reply.ok || reply.error.code !== cancelTaskErrorCodes.UNAVAILABLE
          ? undefined
          : reply.error.message,
      askingAgain: (attempt, problem) =>
        this.logger.warn(
          { taskId: request.taskId, requestId, attempt, problem },
          'CancelTask not answered; asking again',
        ),
    });
    if (answer.settled) return answer.reply;
    this.logger.error(
      { taskId: request.taskId, requestId, problem: answer.problem },
      'the task could not be cancelled',
    );
    throw unavailable('the task could not be cancelled; try again later', RETRY_AFTER_SECONDS);
  }
}

function answerOf(taskId: string, ending: TaskEnding): CancelledTaskJson {
  switch (ending.kind) {
    case 'CANCELLED':
      return { id: taskId, status: 499, cancelled: unixSeconds(ending.at) };
    case 'FINISHED':
    case 'FAILED': {
      const how =
        ending.kind === 'FINISHED'
          ? `finished with status ${ending.status}`
          : `failed (${ending.reason}, status ${ending.status})`;
      throw new ApiError(
        409,
        'TASK_FINISHED',
        `the task had already ${how} when the cancellation came; it stays as it ended`,
        { details: { status: ending.status, finished: unixSeconds(ending.at) } },
      );
    }
    default: {
      const unknown: never = ending;
      throw new Error(`Unhandled task ending ${JSON.stringify(unknown)}`);
    }
  }
}
