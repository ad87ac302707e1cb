import {
  decodeJson,
  nodeIdFromSubject,
  nodeReportPattern,
  parseNodeAnnouncement,
  parseNodeGoodbye,
  parseNodeHeartbeat,
  parseProgressReport,
  parseResultReport,
  taskCommand,
} from '@canopy/contracts';
import type {
  AnnouncementReply,
  HeartbeatReply,
  NodeAck,
  NodeReportKind,
  RunningTask,
} from '@canopy/contracts';
import type { NodeRegistry, TaskQueue } from '@canopy/scheduling';
import { inSpan } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { Context } from '@opentelemetry/api';
import type { NodeChannel } from '../dispatch/node-channel.js';
import { decisionMetadata } from '../tasks/decision-metadata.js';
import type { TaskCommands } from '../tasks/task-commands.js';
import { serverSpan } from '../transport/request-spans.js';
import { RecentEntries } from '../transport/recent-entries.js';
import { NodeDisabledError, UnknownNodeError } from '../transport/rpc-errors.js';
import { heartbeatCoversAssignmentsBefore } from './heartbeat-cutoff.js';
import type { NodePresenceRecorder } from './node-presence.js';

const progressSpan = serverSpan(nodeReportPattern('progress'));
const resultSpan = serverSpan(nodeReportPattern('result'));

export interface NodeReportsOptions {
  readonly registry: NodeRegistry;
  readonly queue: TaskQueue;
  readonly commands: TaskCommands;
  readonly presence: NodePresenceRecorder;
  readonly channel: NodeChannel;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** How long a node has to answer an assignment: later ones may not be in its heartbeats yet. */
  readonly offerTimeoutMs: number;
  readonly clock: () => Date;
  readonly logger: ServiceLogger;
  /**
   * Whether the task state holds what the event store held when this replica last took the lease or
   * the store last came back (see StreamFollower.resync): nodes' reports are reconciled only then.
   */
  readonly stateCurrent: () => boolean;
  /** Whether this replica leads: only the leader cancels what a node runs. */
  readonly isLeader: () => boolean;
  /** Something changed that may allow new assignments or needs a deadline handled. */
  readonly wake: () => void;
  /** Whether the node's owner disabled it: everything it sends is refused with NODE_DISABLED. */
  readonly isDisabled: (nodeId: string) => boolean;
}

/**
 * What nodes send on `canopy.node.<nodeId>.<kind>`. The node is the one the subject names (NATS
 * permissions bind subjects to nodes); a node id in the body is informative only. Refusals are
 * thrown (NodeDisabledError, UnknownNodeError, the task's rule violations, contract violations) and
 * answered by the RPC edge.
 */
export class NodeReports {
  /**
   * Report ids already acknowledged, so that a node's retry of a report is answered without reading
   * the task's stream again; forgetting one only costs that read (the decider keeps repeats harmless).
   */
  private readonly recentReports = new RecentEntries<true>(10_000);

  constructor(private readonly options: NodeReportsOptions) {}

  async announce(subject: string, payload: Uint8Array): Promise<AnnouncementReply> {
    const nodeId = nodeIdFromSubject(subject, 'announce');
    const announcement = parseNodeAnnouncement(decodeJson(payload, 'node announcement'));
    this.warnOnForeignId(nodeId, announcement.nodeId, 'announce');
    const facts = { ...announcement, nodeId };
    const now = this.options.clock();
    this.refuseDisabled(nodeId);
    // Recorded first: a node is only matched once its stream says it is there.
    await this.options.presence.announced(facts, now.toISOString());
    // Disabled meanwhile: it must not join the registry after the disabling removed it.
    this.refuseDisabled(nodeId);
    const outcome = this.options.registry.announce(facts, now.getTime());
    if (this.options.stateCurrent()) this.reconcile(nodeId, facts.runningTasks, now.getTime());
    this.options.logger.info(
      {
        nodeId,
        outcome,
        slots: facts.slots,
        capabilities: facts.capabilities,
        runningTasks: facts.runningTasks.length,
      },
      'node announced',
    );
    this.options.wake();
    return {
      ok: true,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
    };
  }

  async heartbeat(subject: string, payload: Uint8Array): Promise<HeartbeatReply> {
    const nodeId = nodeIdFromSubject(subject, 'heartbeat');
    const heartbeat = parseNodeHeartbeat(decodeJson(payload, 'node heartbeat'));
    this.warnOnForeignId(nodeId, heartbeat.nodeId, 'heartbeat');
    this.refuseDisabled(nodeId);
    const nowMs = this.options.clock().getTime();
    if (!this.options.registry.heartbeat(nodeId, heartbeat, nowMs))
      throw new UnknownNodeError(nodeId);
    // An assignment recorded for the node that it does not run (it never got it: its leader died
    // between recording and sending) is taken back, rather than left to time out. An attempt it runs
    // that is no longer its own was cancelled, and that cancellation lost: it is sent again.
    if (this.options.stateCurrent()) {
      this.options.queue.nodeRunning(
        nodeId,
        heartbeat.runningTasks,
        nowMs,
        heartbeatCoversAssignmentsBefore(nowMs, heartbeat.sentAt, this.options),
      );
      this.cancelAttemptsNotOwned(nodeId, heartbeat.runningTasks);
    }
    this.options.wake();
    return { ok: true };
  }

  async goodbye(subject: string, payload: Uint8Array): Promise<NodeAck> {
    const nodeId = nodeIdFromSubject(subject, 'goodbye');
    const goodbye = parseNodeGoodbye(decodeJson(payload, 'node goodbye'));
    this.warnOnForeignId(nodeId, goodbye.nodeId, 'goodbye');
    const now = this.options.clock();
    const departed = this.options.registry.leave(nodeId);
    // Whatever it still held is unassigned and requeued by the dispatcher.
    this.options.queue.nodeGone(nodeId, now.getTime());
    await this.options.presence.left(nodeId, now.toISOString());
    this.options.logger.info(
      { nodeId, tasksToRequeue: departed?.taskIds.length ?? 0 },
      'node said goodbye',
    );
    this.options.wake();
    return { ok: true };
  }

  /**
   * `trace`: the context of the node's run, from the report's headers; the events record the
   * report's id as their cause.
   */
  progress(subject: string, payload: Uint8Array, trace?: Context): Promise<NodeAck> {
    return inSpan('node progress', progressSpan, trace, async (span, spanContext) => {
      const nodeId = nodeIdFromSubject(subject, 'progress');
      const report = parseProgressReport(decodeJson(payload, 'progress report'));
      const { taskId, attempt, progress } = report;
      span?.setAttributes({ 'canopy.task.id': taskId, 'canopy.node.id': nodeId });
      this.refuseDisabled(nodeId);
      if (this.recentReports.has(report.reportId)) return { ok: true };
      const metadata = decisionMetadata(report.reportId, spanContext);
      await this.options.commands.handle(
        taskId,
        (_state, now) => taskCommand('RecordProgress', { taskId, nodeId, attempt, progress, now }),
        metadata === undefined ? {} : { metadata },
      );
      this.recentReports.set(report.reportId, true);
      this.options.logger.debug({ nodeId, taskId, attempt, progress }, 'progress recorded');
      return { ok: true };
    });
  }

  /** As {@link progress}, for the function's response. */
  result(subject: string, payload: Uint8Array, trace?: Context): Promise<NodeAck> {
    return inSpan('node result', resultSpan, trace, async (span, spanContext) => {
      const nodeId = nodeIdFromSubject(subject, 'result');
      const report = parseResultReport(decodeJson(payload, 'result report'));
      const { taskId, attempt, response } = report;
      span?.setAttributes({ 'canopy.task.id': taskId, 'canopy.node.id': nodeId });
      // Its attempts are being taken away: a late result must not finish a task meanwhile.
      this.refuseDisabled(nodeId);
      if (this.recentReports.has(report.reportId)) return { ok: true };
      const metadata = decisionMetadata(report.reportId, spanContext);
      const decision = await this.options.commands.handle(
        taskId,
        (_state, now) => taskCommand('FinishTask', { taskId, nodeId, attempt, response, now }),
        metadata === undefined ? {} : { metadata },
      );
      this.recentReports.set(report.reportId, true);
      this.options.logger.info(
        {
          nodeId,
          taskId,
          attempt,
          status: response.status,
          repeated: decision.events.length === 0,
        },
        'task finished',
      );
      return { ok: true };
    });
  }

  /**
   * A node (re)announcing tells us what it runs. Attempts we assigned to it that it no longer has
   * (it restarted) are unassigned; attempts it runs that are not its own any more are cancelled.
   */
  private reconcile(nodeId: string, running: readonly RunningTask[], nowMs: number): void {
    this.options.queue.nodeRunning(
      nodeId,
      running,
      nowMs,
      heartbeatCoversAssignmentsBefore(nowMs, undefined, this.options),
    );
    this.cancelAttemptsNotOwned(nodeId, running);
  }

  /**
   * Cancels the attempts a node says it runs that are over (see TaskQueue.attemptIsOver): it was
   * declared lost meanwhile, or the attempt ended (timed out, cancelled) and the cancellation sent
   * then did not reach it. Sent again with each heartbeat that still lists the attempt, so a lost
   * cancellation is made good and the node stops working for nothing, whichever scheduler leads by
   * then: the reason is the one the cancellation was sent for, else the one the task's events give
   * (it failed for it). An attempt offered to the node counts as its own (the offer's answer may be
   * on its way); one of a task not known is left alone (its events may be too), and so is the one
   * whose result ended its task.
   */
  private cancelAttemptsNotOwned(nodeId: string, running: readonly RunningTask[]): void {
    const { queue, channel, logger } = this.options;
    // Every replica hears the node; only the leader's state is current enough to take work away.
    if (!this.options.isLeader()) return;
    for (const attempt of running) {
      const { taskId } = attempt;
      if (queue.isAssigned(taskId, nodeId, attempt.attempt)) continue;
      if (!queue.attemptIsOver(taskId, attempt.attempt)) continue;
      const ending = queue.endingOf(taskId);
      // The attempt whose result ended the task: the node lists it until the acknowledgement arrives.
      if (ending?.kind === 'finished' && ending.attempt === attempt.attempt) continue;
      // Otherwise the task failed (its reason), or this attempt was taken away before another one ran.
      const reason =
        channel.cancelledFor(taskId, attempt.attempt) ??
        (ending?.kind === 'failed' ? ending.reason : 'NODE_LOST');
      logger.info(
        { nodeId, ...attempt, reason },
        'node runs an attempt that is not its own; cancelling it',
      );
      channel.cancel(nodeId, { ...attempt, reason });
    }
  }

  /** Everything a disabled node sends is refused, definitively, until its owner enables it. */
  private refuseDisabled(nodeId: string): void {
    if (this.options.isDisabled(nodeId)) throw new NodeDisabledError(nodeId);
  }

  private warnOnForeignId(subjectNodeId: string, bodyNodeId: string, kind: NodeReportKind): void {
    if (subjectNodeId === bodyNodeId) return;
    this.options.logger.warn(
      { nodeId: subjectNodeId, bodyNodeId, kind },
      'the body names another node than the subject; the subject is trusted',
    );
  }
}
