import {
  ISSUE_TASK_AGAIN_SUBJECT,
  ISSUE_TASK_SUBJECT,
  decodeJson,
  issueTaskErrorCodes,
  parseIssueTaskReply,
  parseIssueTaskRequest,
} from '@canopy/contracts';
import type { IssueTaskReply, IssueTaskRequest, TaskRequest } from '@canopy/contracts';
import { noOrigin } from '@canopy/observability';
import type { MessageOrigin } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { MsgHdrs } from '@nats-io/transport-node';
import { ApiError, notFound, unavailable } from '../http/api-error.js';
import { tooManyRequests } from '../http/rate-limits.js';
import { newObjectId } from '@canopy/identity';
import { inRequestSpan } from './scheduler-requests.js';
import type { SchedulerRequests } from './scheduler-requests.js';

// POST /v1/task/:functionId: the gateway names the task and asks a scheduler to record it
// (ISSUE_TASK_SUBJECT, request/reply). The scheduler replies only once TaskIssued is in the event
// store, so the 201 is sent only for a durable task. A request without a reply (none in time, no
// scheduler listening, NATS away, the store unavailable) is asked again with the same task id and
// issue time, which the scheduler treats as the same command, until the time for it runs out
// (scheduler-requests.ts); then, before answering 503, the gateway looks in the event store itself:
// a reply lost on its way back (a scheduler or NATS restarting) must not turn a recorded task into
// an error a client would retry.

const RETRY_AFTER_SECONDS = 5;
const QUOTA_RETRY_AFTER_SECONDS = 1;
/** The longest one request may wait for its reply before it is asked again. */
const ATTEMPT_TIMEOUT_MS = 2_000;

export interface IssueTask {
  readonly accountId: string;
  readonly functionId: string;
  readonly request: TaskRequest;
  /** The task's own priority; absent: the function's. */
  readonly priority?: number;
  /** ISO 8601 UTC; absent: at once. */
  readonly notBefore?: string;
}

export class TaskIssuer {
  private readonly encoder = new TextEncoder();

  constructor(
    /** Asks until the task is recorded or the time for it runs out, then answers 503. */
    private readonly schedulers: SchedulerRequests,
    private readonly logger: ServiceLogger,
    /** Whether the event store holds the task this request issued (read when no reply came). */
    private readonly recorded: (request: IssueTaskRequest) => Promise<boolean>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * The new task's id once a scheduler has recorded it; an ApiError otherwise. `as` names the task
   * and its issue time (an Idempotency-Key's reservation); issuing it again is a repeat, not a new task.
   * `origin`: the HTTP request, whose id and trace the scheduler records with the task.
   */
  async issue(
    task: IssueTask,
    as?: { readonly id: string; readonly at: Date },
    origin: MessageOrigin = noOrigin,
  ): Promise<string> {
    const issuedAt = as?.at ?? this.now();
    const request = parseIssueTaskRequest({
      taskId: as?.id ?? newObjectId(issuedAt),
      accountId: task.accountId,
      functionId: task.functionId,
      scheduleId: null,
      request: task.request,
      issuedAt: issuedAt.toISOString(),
      ...(task.priority === undefined ? {} : { priority: task.priority }),
      ...(task.notBefore === undefined ? {} : { notBefore: task.notBefore }),
    });
    // One span for the request, however often it is asked: every attempt carries the same context.
    const reply = await inRequestSpan('IssueTask', ISSUE_TASK_SUBJECT, origin, (headers, span) => {
      span?.setAttribute('canopy.task.id', request.taskId);
      return this.requestUntilAnswered(request, headers, origin.requestId);
    });
    if (reply.ok) return request.taskId;
    return this.refused(request, reply.error, origin.requestId);
  }

  private async requestUntilAnswered(
    request: IssueTaskRequest,
    headers: MsgHdrs | undefined,
    requestId: string | undefined,
  ): Promise<IssueTaskReply> {
    const payload = this.encoder.encode(JSON.stringify(request));
    const log = { taskId: request.taskId, functionId: request.functionId, requestId };
    const answer = await this.schedulers.askUntilAnswered({
      name: 'IssueTask',
      subject: ISSUE_TASK_SUBJECT,
      againSubject: ISSUE_TASK_AGAIN_SUBJECT,
      headers,
      longestAttemptMs: ATTEMPT_TIMEOUT_MS,
      payload: () => payload,
      parse: (data) => parseIssueTaskReply(decodeJson(data, 'IssueTask reply')),
      // The scheduler could not record it this time (its store away, a conflict): ask again.
      unsettled: (reply) =>
        reply.ok || reply.error.code !== issueTaskErrorCodes.UNAVAILABLE
          ? undefined
          : reply.error.message,
      askingAgain: (attempt, problem) =>
        this.logger.warn({ ...log, attempt, problem }, 'IssueTask not answered; asking again'),
    });
    if (answer.settled) return answer.reply;
    if (await this.recorded(request).catch(() => false)) {
      this.logger.warn(log, 'IssueTask never answered, but the task is recorded');
      return { ok: true, taskId: request.taskId };
    }
    this.logger.error({ ...log, problem: answer.problem }, 'the task could not be issued');
    // "No scheduler" is the answer when NATS said nobody listens and no scheduler ever replied: a
    // last attempt that merely ran out of time (a busy machine) does not change that.
    throw unavailable(
      answer.noResponders && !answer.replied
        ? 'no scheduler is available; try again later'
        : 'the task could not be issued; try again later',
      RETRY_AFTER_SECONDS,
    );
  }

  private refused(
    request: IssueTaskRequest,
    error: { code: string; message: string; field?: string },
    requestId: string | undefined,
  ): never {
    const log = {
      taskId: request.taskId,
      functionId: request.functionId,
      code: error.code,
      requestId,
    };
    switch (error.code) {
      case issueTaskErrorCodes.FUNCTION_NOT_FOUND:
        throw notFound(`no function ${request.functionId}`);
      case issueTaskErrorCodes.CONTRACT_VIOLATION:
        this.logger.warn(
          { ...log, field: error.field, reason: error.message },
          'IssueTask refused',
        );
        throw new ApiError(400, 'INVALID_REQUEST', error.message, {
          ...(error.field === undefined ? {} : { field: error.field }),
        });
      case issueTaskErrorCodes.NO_QUOTA_AVAILABLE:
        this.logger.info(log, 'IssueTask refused: the account has no quota left');
        throw tooManyRequests(
          'NO_QUOTA_AVAILABLE',
          'the account has too many unfinished tasks; try again when some have finished',
          QUOTA_RETRY_AFTER_SECONDS,
        );
      case issueTaskErrorCodes.UNAVAILABLE:
        this.logger.warn(log, 'the scheduler could not record the task');
        throw unavailable('the task could not be recorded; try again later', RETRY_AFTER_SECONDS);
      default:
        // TASK_ALREADY_ISSUED (a 64-bit random collision) and codes this gateway does not know:
        // nothing was issued for this request, so asking again is the right advice.
        this.logger.error({ ...log, reason: error.message }, 'IssueTask refused');
        throw unavailable('the task could not be issued; try again later', RETRY_AFTER_SECONDS);
    }
  }
}
