import {
  ISSUE_TASK_BATCH_AGAIN_SUBJECT,
  ISSUE_TASK_BATCH_SUBJECT,
  decodeJson,
  issueTaskErrorCodes,
  parseIssueTaskBatchReply,
} from '@canopy/contracts';
import type {
  IssueTaskBatchRequest,
  IssueTaskOutcome,
  IssueTaskRequest,
  ReplyError,
  TaskRequest,
} from '@canopy/contracts';
import { noOrigin } from '@canopy/observability';
import type { MessageOrigin } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { MsgHdrs } from '@nats-io/transport-node';
import { ApiError, notFound, unavailable } from '../http/api-error.js';
import { inRequestSpan } from './scheduler-requests.js';
import type { SchedulerRequests } from './scheduler-requests.js';

// POST /v1/task/:functionId/batch: the gateway names every task (consecutive ids from one random
// start) and asks a scheduler to record them all in one IssueTaskBatch request, or in a few when
// they do not fit in one NATS message. As for a single task: the scheduler replies once the recorded
// tasks are in the event store; tasks it could not record this time (UNAVAILABLE), and whole requests
// without a reply, are asked again with the same ids and issue time until the time runs out
// (scheduler-requests.ts); then the gateway looks in the event store for the tasks still in doubt.

const RETRY_AFTER_SECONDS = 5;
/** The longest one request may wait for its reply before it is asked again. */
const ATTEMPT_TIMEOUT_MS = 5_000;
/** Room for the request's envelope (ids, time, brackets) in every message. */
const ENVELOPE_BYTES = 512;
/** Stream reads at once when looking for tasks whose reply never came. */
const LOOKUPS_AT_ONCE = 8;

export interface BatchTask {
  readonly taskId: string;
  readonly request: TaskRequest;
}

/** What became of one task of the batch: its id, or the error a single POST of it would answer. */
export type BatchTaskOutcome =
  { readonly ok: true; readonly taskId: string } | { readonly ok: false; readonly error: ApiError };

export class TaskBatchIssuer {
  private readonly encoder = new TextEncoder();

  constructor(
    /** Asks until the tasks are recorded or the time for it runs out. */
    private readonly schedulers: SchedulerRequests,
    private readonly logger: ServiceLogger,
    /** Whether the event store holds the task this request issued (read when no reply came). */
    private readonly recorded: (request: IssueTaskRequest) => Promise<boolean>,
    /** The largest body one task may have: what a single POST may send (GATEWAY_BODY_LIMIT_BYTES). */
    private readonly maxBodyBytes: number,
  ) {}

  /**
   * Issues the tasks; one outcome per task, in order. Throws an ApiError for the whole batch: 404 for
   * an unknown function, 503 when no task could be recorded in time.
   */
  async issue(
    batch: Omit<IssueTaskBatchRequest, 'tasks'>,
    tasks: readonly BatchTask[],
    origin: MessageOrigin = noOrigin,
  ): Promise<BatchTaskOutcome[]> {
    const outcomes = new Map<string, BatchTaskOutcome>();
    const { maxPayload } = this.schedulers;
    const chunks: BatchTask[][] = [];
    let chunk: BatchTask[] = [];
    let chunkBytes = ENVELOPE_BYTES;
    for (const task of tasks) {
      if (Buffer.byteLength(task.request.body, 'base64') > this.maxBodyBytes) {
        outcomes.set(task.taskId, {
          ok: false,
          error: new ApiError(
            413,
            'PAYLOAD_TOO_LARGE',
            `the body exceeds ${this.maxBodyBytes} bytes, the most a task may have`,
            { field: 'body' },
          ),
        });
        continue;
      }
      const bytes = JSON.stringify(task).length + 1;
      if (ENVELOPE_BYTES + bytes > maxPayload) {
        outcomes.set(task.taskId, {
          ok: false,
          error: new ApiError(
            413,
            'PAYLOAD_TOO_LARGE',
            `the task request is too large to pass on (at most about ${maxPayload - ENVELOPE_BYTES} bytes of JSON, body in base64)`,
          ),
        });
        continue;
      }
      if (chunkBytes + bytes > maxPayload) {
        chunks.push(chunk);
        chunk = [];
        chunkBytes = ENVELOPE_BYTES;
      }
      chunk.push(task);
      chunkBytes += bytes;
    }
    if (chunk.length > 0) chunks.push(chunk);

    const deadline = this.schedulers.deadline();
    const answered = await inRequestSpan(
      'IssueTaskBatch',
      ISSUE_TASK_BATCH_SUBJECT,
      origin,
      (headers, span) => {
        span?.setAttributes({ 'canopy.tasks': tasks.length, 'canopy.requests': chunks.length });
        const sent = { headers, requestId: origin.requestId };
        return Promise.all(
          chunks.map((part) => this.requestUntilAnswered(batch, part, deadline, outcomes, sent)),
        );
      },
    );
    const inDoubt = tasks.filter((task) => !outcomes.has(task.taskId));
    if (inDoubt.length > 0) await this.lookUp(batch, inDoubt, outcomes, origin.requestId);
    const results = tasks.map((task) => outcomes.get(task.taskId) as BatchTaskOutcome);
    if (answered.every((reached) => !reached) && results.every((outcome) => !outcome.ok)) {
      throw unavailable('no scheduler is available; try again later', RETRY_AFTER_SECONDS);
    }
    return results;
  }

  /** Asks until every task of the part has an outcome or the time is up; whether a scheduler answered. */
  private async requestUntilAnswered(
    batch: Omit<IssueTaskBatchRequest, 'tasks'>,
    part: readonly BatchTask[],
    deadline: number,
    outcomes: Map<string, BatchTaskOutcome>,
    sent: { readonly headers: MsgHdrs | undefined; readonly requestId: string | undefined },
  ): Promise<boolean> {
    let pending = part;
    const { headers, requestId } = sent;
    const log = { functionId: batch.functionId, tasks: part.length, requestId };
    const answer = await this.schedulers.askUntilAnswered(
      {
        name: 'IssueTaskBatch',
        subject: ISSUE_TASK_BATCH_SUBJECT,
        againSubject: ISSUE_TASK_BATCH_AGAIN_SUBJECT,
        headers,
        longestAttemptMs: ATTEMPT_TIMEOUT_MS,
        payload: () => this.encoder.encode(JSON.stringify({ ...batch, tasks: pending })),
        parse: (data) => parseIssueTaskBatchReply(decodeJson(data, 'IssueTaskBatch reply')),
        unsettled: (reply) => {
          if (!reply.ok) {
            if (reply.error.code !== issueTaskErrorCodes.UNAVAILABLE)
              this.refused(batch, reply.error, requestId);
            return reply.error.message;
          }
          const left: BatchTask[] = [];
          pending.forEach((task, index) => {
            const outcome = reply.outcomes[index];
            if (outcome === undefined || isUnavailable(outcome)) left.push(task);
            else outcomes.set(task.taskId, outcomeOf(outcome));
          });
          pending = left;
          return pending.length === 0
            ? undefined
            : 'the scheduler could not record every task this time';
        },
        askingAgain: (attempt, problem) =>
          this.logger.warn(
            { ...log, attempt, pending: pending.length, problem },
            'IssueTaskBatch not fully answered; asking again',
          ),
      },
      deadline,
    );
    return answer.settled || answer.replied;
  }

  // A reply lost on its way back must not turn recorded tasks into errors a client would retry.
  private async lookUp(
    batch: Omit<IssueTaskBatchRequest, 'tasks'>,
    tasks: readonly BatchTask[],
    outcomes: Map<string, BatchTaskOutcome>,
    requestId: string | undefined,
  ): Promise<void> {
    const queue = [...tasks];
    const lookUpNext = async (): Promise<void> => {
      for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
        const request = { ...batch, scheduleId: null, taskId: task.taskId, request: task.request };
        const found = await this.recorded(request).catch(() => false);
        outcomes.set(
          task.taskId,
          found
            ? { ok: true, taskId: task.taskId }
            : {
                ok: false,
                error: unavailable(
                  'the task could not be issued; try again later',
                  RETRY_AFTER_SECONDS,
                ),
              },
        );
      }
    };
    await Promise.all(Array.from({ length: LOOKUPS_AT_ONCE }, lookUpNext));
    this.logger.error(
      {
        functionId: batch.functionId,
        requestId,
        inDoubt: tasks.length,
        recorded: tasks.filter((task) => outcomes.get(task.taskId)?.ok === true).length,
      },
      'IssueTaskBatch not answered in time for some tasks; looked them up in the store',
    );
  }

  private refused(
    batch: Omit<IssueTaskBatchRequest, 'tasks'>,
    error: ReplyError,
    requestId: string | undefined,
  ): never {
    switch (error.code) {
      case issueTaskErrorCodes.FUNCTION_NOT_FOUND:
        throw notFound(`no function ${batch.functionId}`);
      default:
        // CONTRACT_VIOLATION (the gateway checked every entry: a defect) and codes it does not know.
        this.logger.error(
          { functionId: batch.functionId, code: error.code, reason: error.message, requestId },
          'IssueTaskBatch refused',
        );
        throw unavailable('the tasks could not be issued; try again later', RETRY_AFTER_SECONDS);
    }
  }
}

function isUnavailable(outcome: IssueTaskOutcome): boolean {
  return !outcome.ok && outcome.error.code === issueTaskErrorCodes.UNAVAILABLE;
}

/** A task's outcome in the words a single POST of it would have been answered with. */
function outcomeOf(outcome: IssueTaskOutcome): BatchTaskOutcome {
  if (outcome.ok) return { ok: true, taskId: outcome.taskId };
  const { code, message, field } = outcome.error;
  switch (code) {
    case issueTaskErrorCodes.NO_QUOTA_AVAILABLE:
      return {
        ok: false,
        error: new ApiError(
          429,
          'NO_QUOTA_AVAILABLE',
          'the account has too many unfinished tasks; try again when some have finished',
        ),
      };
    case issueTaskErrorCodes.CONTRACT_VIOLATION:
      return {
        ok: false,
        error: new ApiError(400, 'INVALID_REQUEST', message, field === undefined ? {} : { field }),
      };
    default:
      // TASK_ALREADY_ISSUED (a collision of random ids) and codes this gateway does not know.
      return {
        ok: false,
        error: unavailable('the task could not be issued; try again later', RETRY_AFTER_SECONDS),
      };
  }
}
