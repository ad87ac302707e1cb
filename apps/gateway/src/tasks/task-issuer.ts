import {
  ISSUE_TASK_SUBJECT,
  decodeJson,
  issueTaskErrorCodes,
  parseIssueTaskReply,
  parseIssueTaskRequest,
} from '@canopy/contracts';
import type { IssueTaskReply, IssueTaskRequest, TaskRequest } from '@canopy/contracts';
import type { ServiceLogger } from '@canopy/service-runtime';
import { RequestError, TimeoutError } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { ApiError, notFound, unavailable } from '../http/api-error.js';
import { tooManyRequests } from '../http/rate-limits.js';
import { newObjectId } from '@canopy/identity';

// POST /v1/task/:functionId: the gateway names the task and asks a scheduler to record it
// (ISSUE_TASK_SUBJECT, request/reply). The scheduler replies only once TaskIssued is in the event
// store, so the 201 is sent only for a durable task. A request that times out is sent once more with
// the same task id and issue time: the scheduler treats the repeat as the same command.

const RETRY_AFTER_SECONDS = 5;
const QUOTA_RETRY_AFTER_SECONDS = 1;

export interface IssueTask {
  readonly accountId: string;
  readonly functionId: string;
  readonly request: TaskRequest;
}

export class TaskIssuer {
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly nats: NatsConnection,
    private readonly timeoutMs: number,
    private readonly logger: ServiceLogger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The new task's id once a scheduler has recorded it; an ApiError otherwise. */
  async issue(task: IssueTask): Promise<string> {
    const issuedAt = this.now();
    const request = parseIssueTaskRequest({
      taskId: newObjectId(issuedAt),
      accountId: task.accountId,
      functionId: task.functionId,
      scheduleId: null,
      request: task.request,
      issuedAt: issuedAt.toISOString(),
    });
    const reply = await this.requestWithOneRetry(request);
    if (reply.ok) return request.taskId;
    return this.refused(request, reply.error);
  }

  private async requestWithOneRetry(request: IssueTaskRequest): Promise<IssueTaskReply> {
    const payload = this.encoder.encode(JSON.stringify(request));
    for (let attempt = 1; ; attempt += 1) {
      try {
        const message = await this.nats.request(ISSUE_TASK_SUBJECT, payload, {
          timeout: this.timeoutMs,
        });
        return parseIssueTaskReply(decodeJson(message.data, 'IssueTask reply'));
      } catch (error) {
        const log = { taskId: request.taskId, functionId: request.functionId, attempt };
        if (error instanceof TimeoutError && attempt === 1) {
          this.logger.warn(log, 'no IssueTask reply in time, asking again with the same task id');
          continue;
        }
        if (error instanceof RequestError && error.isNoResponders()) {
          this.logger.warn(log, 'no scheduler is listening for IssueTask requests');
          throw unavailable('no scheduler is available; try again later', RETRY_AFTER_SECONDS);
        }
        this.logger.error({ ...log, err: error }, 'IssueTask request failed');
        throw unavailable('the task could not be issued; try again later', RETRY_AFTER_SECONDS);
      }
    }
  }

  private refused(
    request: IssueTaskRequest,
    error: { code: string; message: string; field?: string },
  ): never {
    const log = { taskId: request.taskId, functionId: request.functionId, code: error.code };
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
