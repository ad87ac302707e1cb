import {
  ISSUE_TASK_BATCH_SUBJECT,
  ISSUE_TASK_SUBJECT,
  decodeJson,
  parseIssueTaskBatchRequest,
  parseIssueTaskRequest,
  taskCommand,
} from '@canopy/contracts';
import type {
  IssueTask,
  IssueTaskBatchReply,
  IssueTaskOutcome,
  IssueTaskReply,
  IssueTaskRequest,
  TaskEvent,
} from '@canopy/contracts';
import { FencedAppendError } from '@canopy/event-store';
import type { FunctionVersion } from '@canopy/function-domain';
import { isIssuedBy, issueTaskCommand } from '@canopy/scheduling';
import type { IssuePolicy } from '@canopy/scheduling';
import { inSpan, noOrigin } from '@canopy/observability';
import type { MessageOrigin } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { Context } from '@opentelemetry/api';
import type { Dispatcher, IssueClaim } from '../dispatch/dispatcher.js';
import type { FunctionDefinitions } from '../functions/function-definitions.js';
import { decisionMetadata } from '../tasks/decision-metadata.js';
import { serverSpan } from '../transport/request-spans.js';
import type { TaskCommands, TaskEventMetadata } from '../tasks/task-commands.js';
import {
  FunctionNotFoundError,
  NoQuotaAvailableError,
  rpcFailureOf,
} from '../transport/rpc-errors.js';
import type { AccountQuota, QuotaReservation } from './account-quota.js';

/**
 * The gateway's IssueTask request: the task is recorded as TaskIssued before the reply, so `ok: true`
 * means it is in the event store. A repeated request (same task id, same request) is answered `ok`
 * again without a second event, even when the account has reached its quota since: the quota is
 * checked only for a task id whose stream is still empty. Refusals are thrown, and answered by the
 * RPC edge.
 */
export class IssueTaskService {
  constructor(
    private readonly functions: FunctionDefinitions,
    private readonly commands: TaskCommands,
    private readonly policy: IssuePolicy,
    private readonly logger: ServiceLogger,
    private readonly quota: AccountQuota,
    /** The tasks this process knows (unfinished, or ended recently): any other id is presumed new. */
    private readonly knownTasks: { knows(taskId: string): boolean },
    /** Where a new task may find a free node at once, when this replica leads. */
    private readonly assigner?: Pick<Dispatcher, 'claimAtIssue'>,
  ) {}

  /**
   * `origin` names the gateway's request (recorded as the task's correlation and causation ids) and
   * the trace the span of this request continues; a schedule's tick has none and starts a trace.
   */
  async issue(payload: Uint8Array, origin: MessageOrigin = noOrigin): Promise<IssueTaskReply> {
    return inSpan('IssueTask', issueTaskSpan, origin.trace, async (span, trace) => {
      const issued = parseIssueTaskRequest(decodeJson(payload, 'IssueTask request'));
      span?.setAttributes({
        'canopy.task.id': issued.taskId,
        'canopy.function.id': issued.functionId,
        ...(origin.requestId === undefined ? {} : { 'canopy.request.id': origin.requestId }),
      });
      const fn = await this.functions.current(issued.functionId, issued.accountId);
      if (fn === undefined) throw new FunctionNotFoundError(issued.functionId);
      const repeated = await this.record(issued, fn, issueMetadata(origin, trace), trace);
      this.logger.info(
        {
          taskId: issued.taskId,
          functionId: issued.functionId,
          repeated,
          requestId: origin.requestId,
        },
        repeated ? 'IssueTask repeated; already issued' : 'task issued',
      );
      return { ok: true, taskId: issued.taskId };
    });
  }

  /**
   * The gateway's IssueTaskBatch request: every task of the batch is decided at once, so their
   * appends reach the event store together and its group commit writes them in a few transactions
   * rather than one per task. Each task is recorded or refused on its own (quota, an unavailable
   * store); the reply, sent once the recorded ones are in the store, lists the outcomes in order.
   */
  async issueBatch(
    payload: Uint8Array,
    origin: MessageOrigin = noOrigin,
  ): Promise<IssueTaskBatchReply> {
    return inSpan('IssueTaskBatch', issueTaskBatchSpan, origin.trace, async (span, trace) => {
      const reply = await this.recordBatch(payload, origin, trace);
      span?.setAttribute('canopy.tasks', reply.outcomes.length);
      return reply;
    });
  }

  private async recordBatch(
    payload: Uint8Array,
    origin: MessageOrigin,
    trace: Context | undefined,
  ): Promise<IssueTaskBatchReply & { ok: true }> {
    const metadata = issueMetadata(origin, trace);
    const batch = parseIssueTaskBatchRequest(decodeJson(payload, 'IssueTaskBatch request'));
    const fn = await this.functions.current(batch.functionId, batch.accountId);
    if (fn === undefined) throw new FunctionNotFoundError(batch.functionId);
    const outcomes = await Promise.all(
      batch.tasks.map(async ({ taskId, request }): Promise<IssueTaskOutcome> => {
        const issued = {
          taskId,
          accountId: batch.accountId,
          functionId: batch.functionId,
          scheduleId: null,
          request,
          issuedAt: batch.issuedAt,
        };
        try {
          await this.record(issued, fn, metadata, trace);
          return { ok: true, taskId };
        } catch (error) {
          const failure = rpcFailureOf(error);
          const log = { taskId, functionId: batch.functionId, code: failure.error.code };
          if (failure.expected) this.logger.info(log, 'IssueTask of a batch refused');
          else this.logger.error({ ...log, err: error }, 'IssueTask of a batch failed');
          return { ok: false, error: failure.error, retry: failure.retry };
        }
      }),
    );
    this.logger.info(
      {
        functionId: batch.functionId,
        tasks: outcomes.length,
        refused: outcomes.filter((outcome) => !outcome.ok).length,
        requestId: origin.requestId,
      },
      'task batch issued',
    );
    return { ok: true, outcomes };
  }

  /**
   * Records the task (TaskIssued), or recognises it as recorded (true: a repeat); throws a refusal.
   * When the leader has a free node for it (see Dispatcher.claimAtIssue), its first assignment is
   * recorded in the same append and offered once the append is done.
   */
  private async record(
    issued: IssueTaskRequest,
    fn: FunctionVersion,
    metadata: TaskEventMetadata | undefined,
    trace: Context | undefined,
  ): Promise<boolean> {
    const command = issueTaskCommand(issued, fn, this.policy);
    // A new id (the usual case) is decided on an empty stream without reading it first.
    const presumeNew = !this.knownTasks.knows(issued.taskId);
    const claim = presumeNew ? this.assigner?.claimAtIssue(command.data, trace) : undefined;
    if (claim === undefined) return this.decide(issued, command, presumeNew, metadata);
    let repeated: boolean;
    try {
      repeated = await this.decide(issued, command, presumeNew, metadata, claim);
    } catch (error) {
      claim.release(error);
      // Another replica may lead by now: the task is recorded without the assignment.
      if (error instanceof FencedAppendError)
        return this.decide(issued, command, presumeNew, metadata);
      throw error;
    }
    if (repeated) claim.release();
    else claim.deliver(command.data, fn.runtime);
    return repeated;
  }

  private async decide(
    issued: IssueTaskRequest,
    command: IssueTask,
    presumeNew: boolean,
    metadata: TaskEventMetadata | undefined,
    claim?: IssueClaim,
  ): Promise<boolean> {
    let reservation: QuotaReservation | null = null;
    try {
      const decision = await this.commands.handle(
        issued.taskId,
        (state, now) => {
          if (state.phase !== 'NotIssued')
            return isIssuedBy(state.task, issued) ? undefined : command;
          // The builder runs again after a version conflict: one reservation covers every round.
          reservation ??= this.quota.reserve(issued.accountId);
          if (reservation === null) throw new NoQuotaAvailableError(this.quota.maxUnfinishedTasks);
          if (claim === undefined) return command;
          const { nodeId, attempt } = claim;
          return [
            command,
            taskCommand('AssignTask', { taskId: issued.taskId, nodeId, attempt, now }),
          ];
        },
        claim === undefined
          ? { presumeNew, ...(metadata === undefined ? {} : { metadata }) }
          : { presumeNew, epoch: claim.epoch, metadata: withAssignment(metadata, claim) },
      );
      return decision.events.length === 0;
    } finally {
      // By now a TaskIssued appended here is in the queue's counts (onAppended runs before handle
      // resolves), so the reservation it held can go.
      (reservation as QuotaReservation | null)?.release();
    }
  }
}

const issueTaskSpan = serverSpan(ISSUE_TASK_SUBJECT);
const issueTaskBatchSpan = serverSpan(ISSUE_TASK_BATCH_SUBJECT);

/**
 * The metadata of a task issued and assigned at once: each event has what it would have had on its
 * own, TaskIssued the request's, TaskAssigned the assignment's span and the request's correlation.
 */
function withAssignment(
  issued: TaskEventMetadata | undefined,
  claim: IssueClaim,
): (event: TaskEvent) => TaskEventMetadata | undefined {
  const correlation =
    issued?.correlationId === undefined ? {} : { correlationId: issued.correlationId };
  const assigned = { ...correlation, ...claim.metadata };
  return (event) => (event.type === 'TaskAssigned' ? assigned : issued);
}

// The gateway's request started the task: it is both the correlation and the cause of TaskIssued.
function issueMetadata(
  origin: MessageOrigin,
  trace: Context | undefined,
): TaskEventMetadata | undefined {
  const caused = decisionMetadata(origin.requestId, trace);
  if (origin.requestId === undefined) return caused;
  return { correlationId: origin.requestId, ...caused };
}
