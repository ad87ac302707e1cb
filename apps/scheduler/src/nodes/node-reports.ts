import {
  NODE_DISABLED,
  UNKNOWN_NODE,
  decodeJson,
  nodeIdFromSubject,
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
  ReplyError,
} from '@canopy/contracts';
import type { NodeRegistry, TaskQueue } from '@canopy/scheduling';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { NodeChannel } from '../dispatch/node-channel.js';
import type { TaskCommandHandler } from '../tasks/task-command-handler.js';
import { rpcFailureOf } from '../transport/rpc-errors.js';
import type { NodeStreamWriter } from './node-stream-writer.js';
import { RecentReports } from './recent-reports.js';

export interface NodeReportsOptions {
  readonly registry: NodeRegistry;
  readonly queue: TaskQueue;
  readonly commands: TaskCommandHandler;
  readonly nodeStreams: NodeStreamWriter;
  readonly channel: NodeChannel;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly clock: () => Date;
  readonly logger: ServiceLogger;
  /** Whether the task state has been rebuilt from the event store yet. */
  readonly stateRebuilt: () => boolean;
  /** Something changed that may allow new assignments or needs a deadline handled. */
  readonly wake: () => void;
  /** Whether the node's owner disabled it: everything it sends is refused with NODE_DISABLED. */
  readonly isDisabled: (nodeId: string) => boolean;
}

const disabledError: ReplyError = {
  code: NODE_DISABLED,
  message: "the node's owner disabled it; it may announce again once it is restored",
};

/**
 * What nodes send on `canopy.node.<nodeId>.<kind>`. The node is the one the subject names (NATS
 * permissions bind subjects to nodes); a node id in the body is informative only. Every handler
 * answers; none lets an error escape.
 */
export class NodeReports {
  private readonly recentReports = new RecentReports();

  constructor(private readonly options: NodeReportsOptions) {}

  async announce(subject: string, payload: Uint8Array): Promise<AnnouncementReply> {
    let nodeId: string | undefined;
    try {
      nodeId = nodeIdFromSubject(subject, 'announce');
      const announcement = parseNodeAnnouncement(decodeJson(payload, 'node announcement'));
      this.warnOnForeignId(nodeId, announcement.nodeId, 'announce');
      const facts = { ...announcement, nodeId };
      const now = this.options.clock();
      if (this.options.isDisabled(nodeId)) return this.refuseDisabled(nodeId, 'announce');
      // Recorded first: a node is only matched once its stream says it is there.
      await this.options.nodeStreams.announced(facts, now.toISOString());
      // Disabled meanwhile: it must not join the registry after the disabling removed it.
      if (this.options.isDisabled(nodeId)) return this.refuseDisabled(nodeId, 'announce');
      const outcome = this.options.registry.announce(facts, now.getTime());
      if (this.options.stateRebuilt()) this.reconcile(nodeId, facts.runningTasks, now.getTime());
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
    } catch (error) {
      return { ok: false, error: this.refused(error, 'announce', nodeId) };
    }
  }

  async heartbeat(subject: string, payload: Uint8Array): Promise<HeartbeatReply> {
    let nodeId: string | undefined;
    try {
      nodeId = nodeIdFromSubject(subject, 'heartbeat');
      const heartbeat = parseNodeHeartbeat(decodeJson(payload, 'node heartbeat'));
      this.warnOnForeignId(nodeId, heartbeat.nodeId, 'heartbeat');
      if (this.options.isDisabled(nodeId)) return this.refuseDisabled(nodeId, 'heartbeat');
      if (!this.options.registry.heartbeat(nodeId, heartbeat, this.options.clock().getTime())) {
        this.options.logger.info({ nodeId }, 'heartbeat from an unknown node; it must announce');
        return {
          ok: false,
          error: {
            code: UNKNOWN_NODE,
            message: 'this scheduler does not know the node: announce it',
          },
        };
      }
      this.options.wake();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: this.refused(error, 'heartbeat', nodeId) };
    }
  }

  async goodbye(subject: string, payload: Uint8Array): Promise<NodeAck> {
    let nodeId: string | undefined;
    try {
      nodeId = nodeIdFromSubject(subject, 'goodbye');
      const goodbye = parseNodeGoodbye(decodeJson(payload, 'node goodbye'));
      this.warnOnForeignId(nodeId, goodbye.nodeId, 'goodbye');
      const now = this.options.clock();
      const departed = this.options.registry.leave(nodeId);
      // Whatever it still held is unassigned and requeued by the dispatcher.
      this.options.queue.nodeGone(nodeId, now.getTime());
      await this.options.nodeStreams.left(nodeId, now.toISOString());
      this.options.logger.info(
        { nodeId, tasksToRequeue: departed?.taskIds.length ?? 0 },
        'node said goodbye',
      );
      this.options.wake();
      return { ok: true };
    } catch (error) {
      const failure = rpcFailureOf(error);
      return { ok: false, error: this.refused(error, 'goodbye', nodeId), retry: failure.retry };
    }
  }

  async progress(subject: string, payload: Uint8Array): Promise<NodeAck> {
    let nodeId: string | undefined;
    let taskId: string | undefined;
    try {
      nodeId = nodeIdFromSubject(subject, 'progress');
      const report = parseProgressReport(decodeJson(payload, 'progress report'));
      taskId = report.taskId;
      if (this.options.isDisabled(nodeId))
        return { ...this.refuseDisabled(nodeId, 'progress', taskId), retry: false };
      if (this.recentReports.has(report.reportId)) return { ok: true };
      const reporter = nodeId;
      await this.options.commands.handle(report.taskId, (_state, now) =>
        taskCommand('RecordProgress', {
          taskId: report.taskId,
          nodeId: reporter,
          attempt: report.attempt,
          progress: report.progress,
          now,
        }),
      );
      this.recentReports.add(report.reportId);
      this.options.logger.debug(
        { nodeId, taskId, attempt: report.attempt, progress: report.progress },
        'progress recorded',
      );
      return { ok: true };
    } catch (error) {
      const failure = rpcFailureOf(error);
      return {
        ok: false,
        error: this.refused(error, 'progress', nodeId, taskId),
        retry: failure.retry,
      };
    }
  }

  async result(subject: string, payload: Uint8Array): Promise<NodeAck> {
    let nodeId: string | undefined;
    let taskId: string | undefined;
    try {
      nodeId = nodeIdFromSubject(subject, 'result');
      const report = parseResultReport(decodeJson(payload, 'result report'));
      taskId = report.taskId;
      // Its attempts are being taken away: a late result must not finish a task meanwhile.
      if (this.options.isDisabled(nodeId))
        return { ...this.refuseDisabled(nodeId, 'result', taskId), retry: false };
      if (this.recentReports.has(report.reportId)) return { ok: true };
      const reporter = nodeId;
      const decision = await this.options.commands.handle(report.taskId, (_state, now) =>
        taskCommand('FinishTask', {
          taskId: report.taskId,
          nodeId: reporter,
          attempt: report.attempt,
          response: report.response,
          now,
        }),
      );
      this.recentReports.add(report.reportId);
      this.options.logger.info(
        {
          nodeId,
          taskId,
          attempt: report.attempt,
          status: report.response.status,
          repeated: decision.events.length === 0,
        },
        'task finished',
      );
      return { ok: true };
    } catch (error) {
      const failure = rpcFailureOf(error);
      return {
        ok: false,
        error: this.refused(error, 'result', nodeId, taskId),
        retry: failure.retry,
      };
    }
  }

  /**
   * A node (re)announcing tells us what it runs. Attempts we assigned to it that it no longer has
   * (it restarted) are unassigned; attempts it runs that are not its own any more (it was declared
   * lost meanwhile) are cancelled, so it stops working for nothing.
   */
  private reconcile(
    nodeId: string,
    running: readonly { taskId: string; attempt: number }[],
    nowMs: number,
  ): void {
    const { queue, channel, logger } = this.options;
    queue.nodeRunning(nodeId, running, nowMs);
    for (const attempt of running) {
      if (queue.isAssigned(attempt.taskId, nodeId, attempt.attempt)) continue;
      logger.info(
        { nodeId, ...attempt },
        'node runs an attempt that is not its own; cancelling it',
      );
      channel.cancel(nodeId, { ...attempt, reason: 'NODE_LOST' });
    }
  }

  private refuseDisabled(
    nodeId: string,
    kind: NodeReportKind,
    taskId?: string,
  ): { ok: false; error: ReplyError } {
    this.options.logger.info({ nodeId, taskId, kind }, 'refused: the node is disabled');
    return { ok: false, error: disabledError };
  }

  private warnOnForeignId(subjectNodeId: string, bodyNodeId: string, kind: NodeReportKind): void {
    if (subjectNodeId === bodyNodeId) return;
    this.options.logger.warn(
      { nodeId: subjectNodeId, bodyNodeId, kind },
      'the body names another node than the subject; the subject is trusted',
    );
  }

  private refused(
    error: unknown,
    kind: NodeReportKind,
    nodeId: string | undefined,
    taskId?: string,
  ): ReplyError {
    const failure = rpcFailureOf(error);
    const context = { nodeId, taskId, kind, code: failure.error.code };
    if (failure.expected)
      this.options.logger.info(
        { ...context, reason: failure.error.message },
        'node report refused',
      );
    else this.options.logger.error({ ...context, err: error }, 'node report failed');
    return failure.error;
  }
}
