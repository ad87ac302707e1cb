import { taskCommand } from '@canopy/contracts';
import type { Assignment, Cancellation } from '@canopy/contracts';
import type { DueDeadline, NodeRegistry, Offer, TaskQueue } from '@canopy/scheduling';
import type { ServiceLogger } from '@canopy/service-runtime';
import { TaskRuleViolation } from '@canopy/task-domain';
import type { TaskState } from '@canopy/task-domain';
import type { FunctionDefinitions } from '../functions/function-definitions.js';
import type { NodePresenceRecorder } from '../nodes/node-presence.js';
import type { TaskCommands } from '../tasks/task-commands.js';
import type { InFlightWork } from '../transport/in-flight-work.js';
import type { NodeChannel } from './node-channel.js';

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
  /** Nothing is matched or expired before the task state is rebuilt from the event store. */
  readonly stateRebuilt: () => boolean;
  /** Time between two passes when nothing wakes the dispatcher earlier. */
  readonly tickMs: number;
  /** Whether the node's owner disabled it: its attempts end with NODE_DISABLED rather than NODE_LOST. */
  readonly isDisabled: (nodeId: string) => boolean;
}

/** Offers started per pass, so that one pass over a long queue cannot flood NATS. */
const MAX_OFFERS_PER_PASS = 500;

/**
 * The matching loop. Each pass: declare lost the nodes whose heartbeats stopped, act on the deadlines
 * that passed, and offer waiting tasks to the best nodes with a free slot. Every effect on a task is a
 * command decided against its freshly read stream (TaskCommands), so a pass working from a
 * slightly stale view cannot do anything the task's rules forbid. Passes run on a timer and whenever
 * something happens that may allow a new assignment.
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

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pass(), delayMs);
  }

  private pass(): void {
    if (this.stopped) return;
    try {
      if (this.options.stateRebuilt()) this.dispatch();
    } catch (error) {
      this.options.logger.error({ err: error }, 'dispatch pass failed');
    }
    this.schedule(this.options.tickMs);
  }

  private dispatch(): void {
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
      work.start(() => this.handleDeadline(deadline));
    for (const offer of queue.nextOffers(nowMs, MAX_OFFERS_PER_PASS))
      work.start(() => this.offer(offer));
  }

  private async handleDeadline(deadline: DueDeadline): Promise<void> {
    const { commands, channel, logger } = this.options;
    const { taskId } = deadline;
    try {
      switch (deadline.kind) {
        case 'PendingDeadline': {
          const decision = await commands.handle(taskId, (state, now) =>
            state.phase === 'Waiting'
              ? taskCommand('FailTask', {
                  taskId,
                  reason: 'NO_RUNNER',
                  message: `no node took the task within its pending deadline of ${state.task.pendingDeadline} s`,
                  now,
                })
              : undefined,
          );
          if (decision.events.length > 0) logger.info({ taskId }, 'task failed: NO_RUNNER');
          return;
        }
        case 'RunTimeout': {
          const { nodeId, attempt } = deadline;
          const decision = await commands.handle(taskId, (state, now) =>
            isCurrentAttempt(state, nodeId, attempt)
              ? taskCommand('FailTask', {
                  taskId,
                  reason: 'TIMEOUT',
                  message: `attempt ${attempt} on node ${nodeId} ran longer than the timeout of ${state.phase === 'Assigned' ? state.task.timeout : '?'} s`,
                  now,
                })
              : undefined,
          );
          if (decision.events.length > 0) {
            channel.cancel(nodeId, { taskId, attempt, reason: 'TIMEOUT' });
            logger.info({ taskId, nodeId, attempt }, 'task failed: TIMEOUT; attempt cancelled');
          }
          return;
        }
        case 'NodeGone': {
          const { nodeId, attempt } = deadline;
          const reason = this.options.isDisabled(nodeId) ? 'NODE_DISABLED' : 'NODE_LOST';
          const decision = await commands.handle(taskId, (state, now) =>
            isCurrentAttempt(state, nodeId, attempt)
              ? taskCommand('UnassignTask', { taskId, nodeId, attempt, reason, now })
              : undefined,
          );
          if (decision.events.length > 0) {
            // In case the node is alive after all (a partition, or a disabled node still running):
            // it must stop.
            channel.cancel(nodeId, { taskId, attempt, reason });
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
          // An acceptance may still be on its way: the node must not run the attempt.
          channel.cancel(deadline.nodeId, {
            taskId,
            attempt: deadline.attempt,
            reason: 'START_DEADLINE_MISSED',
          });
          logger.info({ taskId, nodeId: deadline.nodeId }, 'offer unanswered in time');
          return;
        default:
          return unknownDeadline(deadline);
      }
    } catch (error) {
      // The deadline is handed out again after a while; the state may simply have moved on.
      const level = error instanceof TaskRuleViolation ? 'info' : 'warn';
      logger[level](
        { taskId, deadline: deadline.kind, reason: String(error) },
        'deadline not acted on',
      );
    }
  }

  private async offer(offer: Offer): Promise<void> {
    const { queue, commands, channel, functions, logger, clock } = this.options;
    const { taskId, nodeId, attempt, offerId, task } = offer;
    let assignment: Assignment;
    try {
      const fn = await functions.get(task.functionId, task.accountId);
      if (fn === undefined) throw new Error(`function ${task.functionId} not found`);
      assignment = {
        taskId,
        attempt,
        functionId: task.functionId,
        accountId: task.accountId,
        runtime: fn.runtime,
        request: task.request,
        timeout: task.timeout,
        startBy: new Date(offer.expiresAtMs).toISOString(),
      };
    } catch (error) {
      // Not the node's fault, but pausing it keeps a failing read from spinning.
      logger.warn({ taskId, reason: String(error) }, 'cannot build the assignment; task waits');
      queue.offerDeclined(taskId, offerId, clock().getTime());
      return;
    }

    const outcome = await channel.offer(nodeId, assignment, this.options.offerTimeoutMs);
    if (!outcome.answered || !outcome.reply.accepted) {
      const reason = outcome.answered
        ? outcome.reply.accepted
          ? ''
          : outcome.reply.reason
        : outcome.reason;
      logger.info(
        { taskId, nodeId, attempt, answered: outcome.answered, reason },
        'offer declined',
      );
      queue.offerDeclined(taskId, offerId, clock().getTime());
      // Unanswered is not refused: an acceptance may still come, and the node must not run it.
      if (!outcome.answered)
        channel.cancel(nodeId, { taskId, attempt, reason: 'START_DEADLINE_MISSED' });
      this.wake();
      return;
    }
    if (!queue.offerAccepted(taskId, offerId)) {
      logger.info({ taskId, nodeId, attempt }, 'offer accepted too late; cancelling it');
      channel.cancel(nodeId, { taskId, attempt, reason: 'START_DEADLINE_MISSED' });
      return;
    }
    try {
      const decision = await commands.handle(taskId, (_state, now) =>
        taskCommand('AssignTask', { taskId, nodeId, attempt, now }),
      );
      if (!isCurrentAttempt(decision.after, nodeId, attempt)) throw new Error('not assigned');
      logger.info({ taskId, nodeId, attempt }, 'task assigned');
    } catch (error) {
      queue.offerWithdrawn(taskId, offerId);
      const reason = cancellationReasonFor(error);
      channel.cancel(nodeId, { taskId, attempt, reason });
      logger.info(
        { taskId, nodeId, attempt, reason: String(error) },
        'assignment not recorded; node told to drop it',
      );
      this.wake();
    }
  }
}

function isCurrentAttempt(state: TaskState, nodeId: string, attempt: number): boolean {
  return (
    state.phase === 'Assigned' &&
    state.current.nodeId === nodeId &&
    state.current.attempt === attempt
  );
}

function cancellationReasonFor(error: unknown): Cancellation['reason'] {
  // The task ended meanwhile (failed or cancelled by its owner) or moved on; there is no more
  // precise reason to give a node that never got the assignment.
  return error instanceof TaskRuleViolation && error.code === 'TASK_TERMINAL'
    ? 'CANCELLED'
    : 'START_DEADLINE_MISSED';
}

function unknownDeadline(deadline: never): never {
  throw new Error(`Unhandled deadline ${JSON.stringify(deadline)}`);
}
