import { taskCommand } from '@canopy/contracts';
import { FencedAppendError } from '@canopy/event-store';
import type { Assignment, TaskIssued } from '@canopy/contracts';
import type { DueDeadline, NodeRegistry, Offer, TaskQueue } from '@canopy/scheduling';
import { inSpan, startSpan, traceContextOfFields, tracingEnabled } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import { TaskRuleViolation } from '@canopy/task-domain';
import { SpanKind, context } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { TaskState } from '@canopy/task-domain';
import type { FunctionDefinitions } from '../functions/function-definitions.js';
import type { StoreHealth } from '../availability/store-health.js';
import type { NodePresenceRecorder } from '../nodes/node-presence.js';
import { decisionMetadata } from '../tasks/decision-metadata.js';
import type {
  TaskCommandOptions,
  TaskCommands,
  TaskEventMetadata,
} from '../tasks/task-commands.js';
import type { InFlightWork } from '../transport/in-flight-work.js';
import type { NodeChannel } from './node-channel.js';

/** How an offer ended: taken, refused, not delivered (nothing listened), or unanswered in time. */
export type OfferSettled = 'accepted' | 'rejected' | 'unreachable' | 'timed_out';

/**
 * A free slot claimed for a task being issued, so that the task's TaskIssued and its first
 * TaskAssigned are recorded in one append: the IssueTask decision adds `AssignTask` for `nodeId`
 * and `attempt`, fenced under `epoch`, its TaskAssigned with `metadata` (the assignment's span, a
 * child of the issue's). Exactly one of `deliver` and `release` must follow.
 */
export interface IssueClaim {
  readonly nodeId: string;
  readonly attempt: number;
  readonly epoch: number;
  readonly metadata: TaskEventMetadata | undefined;
  /** The assignment was recorded with the issue: offer the attempt to the node (in the background). */
  deliver(task: TaskIssued['data'], runtime: Assignment['runtime']): void;
  /**
   * Nothing was recorded for it (a repeated request, a refused or failed append, whose error is
   * `failure`): the slot is freed.
   */
  release(failure?: unknown): void;
}

export interface DispatcherOptions {
  readonly registry: NodeRegistry;
  readonly queue: TaskQueue;
  readonly commands: TaskCommands;
  readonly functions: FunctionDefinitions;
  readonly channel: NodeChannel;
  readonly presence: NodePresenceRecorder;
  readonly work: InFlightWork;
  readonly clock: () => Date;
  readonly logger: ServiceLogger;
  readonly offerTimeoutMs: number;
  /**
   * Nothing is matched or expired before the task state holds what the event store held when this
   * replica last took the lease or the store last came back: the leader before may have recorded
   * assignments that the subscription has not brought yet, and an append whose answer was lost in an
   * outage may have been recorded (see StreamFollower.resync).
   */
  readonly stateCurrent: () => boolean;
  /** Time between two passes when nothing wakes the dispatcher earlier. */
  readonly tickMs: number;
  /** Whether the node's owner disabled it: its attempts end with NODE_DISABLED rather than NODE_LOST. */
  readonly isDisabled: (nodeId: string) => boolean;
  /**
   * Only the leader matches and acts on deadlines, under the epoch this gives while it leads; its
   * decisions are recorded only while its lease holds at that epoch, and it is told when the store
   * refused one because the lease had moved on.
   */
  readonly leadership: {
    readonly epoch: number | undefined;
    fenced?(epoch: number): void;
  };
  /** While the event store does not answer, nothing is offered and no deadline acted on. */
  readonly health: Pick<StoreHealth, 'available' | 'observe'>;
  /** Told how each offer to a node ended (metrics). */
  readonly onOfferSettled?: (outcome: OfferSettled) => void;
}

const assignSpan = { kind: SpanKind.CLIENT, attributes: { 'messaging.system': 'nats' } };
const deadlineSpan = { kind: SpanKind.INTERNAL };

/** Offers started per pass, so that one pass over a long queue cannot flood NATS. */
const MAX_OFFERS_PER_PASS = 500;

/**
 * The matching loop, run by the leader only, and only while the event store answers. Each pass:
 * declare lost the nodes whose heartbeats stopped, act on the deadlines that passed, and assign
 * waiting tasks to the best nodes with a free slot. Every effect on a task is a command of the task
 * decider (TaskCommands), appended at the version it was decided on, so a pass working from a
 * slightly stale view cannot do anything the task's rules forbid. Passes run on a timer and whenever
 * something happens that may allow a new assignment.
 *
 * An assignment is recorded before the node hears of it, under the leader's epoch: each attempt
 * number names one recorded assignment and so at most one run. A node that refuses it, or does not
 * answer in time, has the attempt unassigned (REJECTED, START_DEADLINE_MISSED); a refusal spends
 * nothing of the task's attempts.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private wakeScheduled = false;
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Runs a pass soon (coalesced). */
  wake(): void {
    if (this.stopped || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.pass();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * A slot for a task being issued, when this replica leads, the event store answers, the state is
   * rebuilt, the task is due now and a node can take it without passing over any waiting task (see
   * TaskQueue.claimForNewTask); undefined otherwise, and the task waits for a pass as usual. The
   * assignment's span starts now, a child of `parent` (the issue's), and ends with the offer.
   */
  claimAtIssue(task: TaskIssued['data'], parent: Context | undefined): IssueClaim | undefined {
    const { leadership, health, queue, clock, work } = this.options;
    const { epoch } = leadership;
    if (this.stopped || epoch === undefined || !health.available || !this.options.stateCurrent())
      return undefined;
    const nowMs = clock().getTime();
    if (task.notBefore !== undefined && Date.parse(task.notBefore) > nowMs) return undefined;
    const { taskId } = task;
    const nodeId = queue.claimForNewTask(taskId, task.requirements, nowMs);
    if (nodeId === undefined) return undefined;
    const attempt = 1;
    const traced = tracingEnabled() ? startSpan('assign task', assignSpan, parent) : undefined;
    traced?.span.setAttributes(assignAttributes(taskId, nodeId, attempt));
    let settled = false;
    const settle = () => {
      if (settled) throw new Error(`the claim on ${nodeId} for task ${taskId} was settled already`);
      settled = true;
    };
    return {
      nodeId,
      attempt,
      epoch,
      metadata: decisionMetadata(undefined, traced?.spanContext),
      deliver: (issued, runtime) => {
        settle();
        work.start(async () => {
          const offered = () =>
            this.deliver(issued, nodeId, attempt, runtime, epoch, traced?.spanContext);
          try {
            await (traced === undefined ? offered() : context.with(traced.spanContext, offered));
          } finally {
            traced?.span.end();
          }
        });
      },
      release: (failure) => {
        settle();
        traced?.span.setAttribute('canopy.assignment.recorded', false);
        traced?.span.end();
        queue.releaseClaim(taskId, nodeId);
        if (failure instanceof FencedAppendError) leadership.fenced?.(epoch);
        this.wake();
      },
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pass(), delayMs);
  }

  private pass(): void {
    if (this.stopped) return;
    try {
      const { epoch } = this.options.leadership;
      if (epoch !== undefined && this.options.health.available && this.options.stateCurrent())
        this.dispatch(epoch);
    } catch (error) {
      this.options.logger.error({ err: error }, 'dispatch pass failed');
    }
    this.schedule(this.options.tickMs);
  }

  private dispatch(epoch: number): void {
    const { registry, queue, work, logger } = this.options;
    const now = this.options.clock();
    const nowMs = now.getTime();
    for (const lost of registry.expire(nowMs)) {
      logger.warn(
        { nodeId: lost.nodeId, tasks: lost.taskIds.length, neverSeen: lost.lastSeenMs === null },
        'node lost: no heartbeat within the timeout',
      );
      queue.nodeGone(lost.nodeId, nowMs);
      const lastSeenAt = lost.lastSeenMs === null ? null : new Date(lost.lastSeenMs).toISOString();
      work.start(() =>
        this.options.presence
          .lost(lost.nodeId, lastSeenAt, now.toISOString())
          .then(() => undefined)
          .catch((error: unknown) =>
            logger.warn(
              { nodeId: lost.nodeId, reason: String(error) },
              'could not record NodeLost',
            ),
          ),
      );
    }
    for (const deadline of queue.deadlinesDue(nowMs))
      work.start(() => this.handleDeadline(deadline, epoch));
    for (const offer of queue.nextOffers(nowMs, MAX_OFFERS_PER_PASS))
      work.start(() => this.offer(offer, epoch));
  }

  // A deadline acted on belongs to its task's trace, which the TaskIssued metadata names.
  private handleDeadline(deadline: DueDeadline, epoch: number): Promise<void> {
    const parent = traceContextOfFields(this.options.queue.issuedMetadataOf(deadline.taskId));
    return inSpan('task deadline', deadlineSpan, parent, (span, trace) => {
      span?.setAttributes({ 'canopy.task.id': deadline.taskId, 'canopy.deadline': deadline.kind });
      const metadata = decisionMetadata(undefined, trace);
      return this.actOnDeadline(deadline, {
        epoch,
        ...(metadata === undefined ? {} : { metadata }),
      });
    });
  }

  private async actOnDeadline(
    deadline: DueDeadline,
    options: TaskCommandOptions & { readonly epoch: number },
  ): Promise<void> {
    const { commands, channel, logger } = this.options;
    const { taskId } = deadline;
    try {
      switch (deadline.kind) {
        case 'PendingDeadline': {
          const decision = await commands.handle(
            taskId,
            (state, now) =>
              state.phase === 'Waiting'
                ? taskCommand('FailTask', {
                    taskId,
                    reason: 'NO_RUNNER',
                    message: `no node took the task within its pending deadline of ${state.task.pendingDeadline} s`,
                    now,
                  })
                : undefined,
            options,
          );
          if (decision.events.length > 0) logger.info({ taskId }, 'task failed: NO_RUNNER');
          return;
        }
        case 'RunTimeout': {
          const { nodeId, attempt } = deadline;
          const decision = await commands.handle(
            taskId,
            (state, now) =>
              isCurrentAttempt(state, nodeId, attempt)
                ? taskCommand('FailTask', {
                    taskId,
                    reason: 'TIMEOUT',
                    message: `attempt ${attempt} on node ${nodeId} ran longer than the timeout of ${state.phase === 'Assigned' ? state.task.timeout : '?'} s`,
                    now,
                  })
                : undefined,
            options,
          );
          if (decision.events.length > 0) {
            channel.cancel(nodeId, { taskId, attempt, reason: 'TIMEOUT' });
            logger.info({ taskId, nodeId, attempt }, 'task failed: TIMEOUT; attempt cancelled');
          }
          return;
        }
        case 'EndAttempt': {
          const { nodeId, attempt } = deadline;
          const reason =
            deadline.reason ?? (this.options.isDisabled(nodeId) ? 'NODE_DISABLED' : 'NODE_LOST');
          const decision = await commands.handle(
            taskId,
            (state, now) =>
              isCurrentAttempt(state, nodeId, attempt)
                ? taskCommand('UnassignTask', { taskId, nodeId, attempt, reason, now })
                : undefined,
            options,
          );
          if (decision.events.length > 0) {
            // In case the node runs it after all (a partition, a disabled node still running, an
            // acceptance that did not reach us): it must stop.
            if (reason !== 'REJECTED') channel.cancel(nodeId, { taskId, attempt, reason });
            const failed = decision.after.phase === 'Failed';
            logger.info(
              { taskId, nodeId, attempt, reason },
              failed
                ? 'attempt unassigned, none left: task failed'
                : 'attempt unassigned; task requeued',
            );
          }
          return;
        }
        case 'OfferExpired':
          // The assignment took longer to record than an offer may take; the task waits again.
          logger.info({ taskId, nodeId: deadline.nodeId }, 'assignment not recorded in time');
          return;
        default:
          return unknownDeadline(deadline);
      }
    } catch (error) {
      // The deadline is handed out again after a while; the state may simply have moved on.
      this.observeFailure(error, options.epoch);
      const level = error instanceof TaskRuleViolation ? 'info' : 'warn';
      logger[level](
        { taskId, deadline: deadline.kind, reason: String(error) },
        'deadline not acted on',
      );
    }
  }

  // The assignment continues the task's trace: its span is the parent of the node's run.
  private offer(offer: Offer, epoch: number): Promise<void> {
    const parent = traceContextOfFields(offer.issuedMetadata);
    return inSpan('assign task', assignSpan, parent, (span, trace) => {
      span?.setAttributes(assignAttributes(offer.taskId, offer.nodeId, offer.attempt));
      return this.assign(offer, epoch, trace);
    });
  }

  private async assign(offer: Offer, epoch: number, trace: Context | undefined): Promise<void> {
    const { queue, commands, functions, logger, clock, health } = this.options;
    const { taskId, nodeId, attempt, offerId, task } = offer;
    let runtime: Assignment['runtime'];
    try {
      // The version the task was issued against, whatever the function became since.
      const fn = await functions.version(task.functionId, task.accountId, task.functionVersion);
      if (fn === undefined) {
        throw new Error(`function ${task.functionId} version ${task.functionVersion} not found`);
      }
      runtime = fn.runtime;
    } catch (error) {
      // Not the node's fault, but pausing it keeps a failing read from spinning.
      health.observe(error);
      logger.warn({ taskId, reason: String(error) }, 'cannot build the assignment; task waits');
      queue.offerDeclined(taskId, offerId, clock().getTime());
      return;
    }
    // Recorded first, under this leader's epoch: the attempt number is spent on this assignment
    // whatever the node does with it, so it names one possible run.
    const metadata = decisionMetadata(undefined, trace);
    try {
      const decision = await commands.handle(
        taskId,
        (state, now) =>
          state.phase === 'Waiting'
            ? taskCommand('AssignTask', { taskId, nodeId, attempt, now })
            : undefined,
        { epoch, ...(metadata === undefined ? {} : { metadata }) },
      );
      if (!isCurrentAttempt(decision.after, nodeId, attempt)) throw new Error('not assigned');
    } catch (error) {
      this.observeFailure(error, epoch);
      queue.offerWithdrawn(taskId, offerId);
      logger.info(
        { taskId, nodeId, attempt, reason: String(error) },
        'assignment not recorded; task waits',
      );
      this.wake();
      return;
    }
    await this.deliver(task, nodeId, attempt, runtime, epoch, trace);
  }

  /** Offers a recorded assignment to its node, and acts on the answer. */
  private async deliver(
    task: TaskIssued['data'],
    nodeId: string,
    attempt: number,
    runtime: Assignment['runtime'],
    epoch: number,
    trace: Context | undefined,
  ): Promise<void> {
    const { queue, channel, logger, clock } = this.options;
    const { taskId } = task;
    const assignment: Assignment = {
      taskId,
      attempt,
      functionId: task.functionId,
      accountId: task.accountId,
      runtime,
      request: task.request,
      timeout: task.timeout,
      startBy: new Date(clock().getTime() + this.options.offerTimeoutMs).toISOString(),
      epoch,
    };
    const outcome = await channel.offer(nodeId, assignment, this.options.offerTimeoutMs, trace);
    this.options.onOfferSettled?.(
      outcome.answered
        ? outcome.reply.accepted
          ? 'accepted'
          : 'rejected'
        : outcome.undelivered
          ? 'unreachable'
          : 'timed_out',
    );
    if (outcome.answered && outcome.reply.accepted) {
      logger.info({ taskId, nodeId, attempt, epoch }, 'task assigned');
      return;
    }
    // An offer NATS could not deliver (nothing listened to the node's assignments) reached no one:
    // like a refusal, it ran nowhere and spends nothing of the task's attempts. One that may have
    // arrived unanswered may still run, and spends one.
    const reason = outcome.answered || outcome.undelivered ? 'REJECTED' : 'START_DEADLINE_MISSED';
    logger.info(
      {
        taskId,
        nodeId,
        attempt,
        reason,
        detail: outcome.answered
          ? outcome.reply.accepted
            ? ''
            : outcome.reply.reason
          : outcome.reason,
      },
      'assignment not taken',
    );
    // Unanswered is not refused: an acceptance may still come, and the node must not run it.
    if (reason === 'START_DEADLINE_MISSED') channel.cancel(nodeId, { taskId, attempt, reason });
    queue.attemptNotTaken(taskId, attempt, reason, clock().getTime());
    this.wake();
  }

  /** An outage pauses the dispatcher; a fenced append means this replica leads no more. */
  private observeFailure(error: unknown, epoch: number): void {
    if (error instanceof FencedAppendError) this.options.leadership.fenced?.(epoch);
    else this.options.health.observe(error);
  }
}

function assignAttributes(taskId: string, nodeId: string, attempt: number) {
  return {
    'canopy.task.id': taskId,
    'canopy.node.id': nodeId,
    'canopy.attempt': attempt,
    'messaging.destination.name': `canopy.assign.${nodeId}`,
  };
}

function isCurrentAttempt(state: TaskState, nodeId: string, attempt: number): boolean {
  return (
    state.phase === 'Assigned' &&
    state.current.nodeId === nodeId &&
    state.current.attempt === attempt
  );
}

function unknownDeadline(deadline: never): never {
  throw new Error(`Unhandled deadline ${JSON.stringify(deadline)}`);
}
