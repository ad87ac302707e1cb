/**
 * NATS subjects of Canopy. This module is the only place they are spelled.
 *
 * Canopy uses core NATS request/reply wherever the sender waits for an answer and retries until it
 * gets one; every message is a JSON document whose schema lives beside this module
 * (`issue-task-messages.ts`, `cancel-task-messages.ts`, `node-messages.ts`, `assignment-messages.ts`,
 * `task-notification.ts`, `task-event-notice.ts`).
 * Receivers deduplicate, so a retry is always safe.
 *
 * | subject                           | from → to           | kind                      | body → reply                      |
 * |-----------------------------------|---------------------|---------------------------|-----------------------------------|
 * | `canopy.cmd.task.issue`           | gateway → scheduler | request, queue group `canopy-scheduler` | IssueTaskRequest → IssueTaskReply |
 * | `canopy.cmd.task.cancel`          | gateway → scheduler | request, queue group `canopy-scheduler` | CancelTaskRequest → CancelTaskReply |
 * | `canopy.cmd.again.task.issue`     | gateway → every scheduler | request (asked again) | IssueTaskRequest → IssueTaskReply |
 * | `canopy.cmd.again.task.issue-batch` | gateway → every scheduler | request (asked again) | IssueTaskBatchRequest → IssueTaskBatchReply |
 * | `canopy.cmd.again.task.cancel`    | gateway → every scheduler | request (asked again) | CancelTaskRequest → CancelTaskReply |
 * | `canopy.cmd.leader.task.issue`    | scheduler → leading scheduler | request | IssueTaskRequest → IssueTaskReply |
 * | `canopy.cmd.leader.task.issue-batch` | scheduler → leading scheduler | request | IssueTaskBatchRequest → IssueTaskBatchReply |
 * | `canopy.cmd.leader.function.changed` | gateway → leading scheduler | request | FunctionChangedNotice → FunctionChangedReply |
 * | `canopy.node.<nodeId>.announce`   | node → scheduler    | request                   | NodeAnnouncement → AnnouncementReply |
 * | `canopy.node.<nodeId>.heartbeat`  | node → scheduler    | request                   | NodeHeartbeat → HeartbeatReply    |
 * | `canopy.node.<nodeId>.progress`   | node → scheduler    | request                   | ProgressReport → NodeAck          |
 * | `canopy.node.<nodeId>.result`     | node → scheduler    | request                   | ResultReport → NodeAck            |
 * | `canopy.node.<nodeId>.{progress,result}.again` | node → every scheduler | request (asked again) | as above |
 * | `canopy.node.<nodeId>.goodbye`    | node → scheduler    | request                   | NodeGoodbye → NodeAck             |
 * | `canopy.assign.<nodeId>`          | scheduler → node    | request                   | Assignment → AssignmentReply      |
 * | `canopy.cancel.<nodeId>`          | scheduler → node    | publish (fire and forget) | Cancellation                      |
 * | `canopy.notify.task.<taskId>`     | projector → gateways| publish                   | TaskNotification                  |
 * | `canopy.notify.task.<taskId>.events` | scheduler → gateways | publish                | TaskEventNotice                   |
 *
 * For node authors: a node starts by announcing itself, then heartbeats at the interval the announce
 * reply names. A heartbeat answered with `UNKNOWN_NODE` means the scheduler lost track of the node
 * (for example after it was declared lost): announce again. Progress and results are retried until
 * acknowledged; an ack with `retry: false` is final (the task is not yours any more, or it is
 * already over), so stop sending that report. The node subscribes to its own `canopy.assign.<nodeId>`
 * (answer accept/reject within the request) and `canopy.cancel.<nodeId>`.
 *
 * Node identity: the `<nodeId>` token of the subject is the node's identity. NATS permissions
 * ({@link nodePermissions}) let a node publish only under its own `canopy.node.<nodeId>.>` and receive
 * only its own assignments, so the scheduler trusts the subject's node id over any id in a body.
 * Node ids are restricted to `[A-Za-z0-9_-]{1,64}` so they are always exactly one subject token.
 */
import { ContractViolationError } from '../contract-violation.js';
import { isNodeId, isObjectId } from '../identifiers.js';

/** Gateway → scheduler request asking for a task to be issued (IssueTaskRequest → IssueTaskReply). */
export const ISSUE_TASK_SUBJECT = 'canopy.cmd.task.issue';

/** Gateway → scheduler request asking for a task to be cancelled (CancelTaskRequest → CancelTaskReply). */
export const CANCEL_TASK_SUBJECT = 'canopy.cmd.task.cancel';

/**
 * Gateway → scheduler request asking for many tasks of one function to be issued at once
 * (IssueTaskBatchRequest → IssueTaskBatchReply).
 */
export const ISSUE_TASK_BATCH_SUBJECT = 'canopy.cmd.task.issue-batch';

/**
 * Gateway → every scheduler replica: an IssueTask request asked again, after the queue group's pick
 * did not answer in time or answered UNAVAILABLE. Every replica listens here, outside the queue
 * group: the replica that did not answer (paused, cut off from its database) may be the one the
 * queue group would pick again. The first reply is the answer; the others are repeats of one command,
 * which the schedulers answer as such.
 */
export const ISSUE_TASK_AGAIN_SUBJECT = 'canopy.cmd.again.task.issue';

/** The same for IssueTaskBatch requests. */
export const ISSUE_TASK_BATCH_AGAIN_SUBJECT = 'canopy.cmd.again.task.issue-batch';

/** The same for CancelTask requests. */
export const CANCEL_TASK_AGAIN_SUBJECT = 'canopy.cmd.again.task.cancel';

/**
 * Standby scheduler → leading scheduler: an IssueTask request a standby took from the queue group,
 * handed on as it came (body and headers), so that the leader records the task with its assignment
 * in one append. Only the replica that leads listens; a standby that gets no answer records the
 * task itself.
 */
export const LEADER_ISSUE_TASK_SUBJECT = 'canopy.cmd.leader.task.issue';

/** The same for IssueTaskBatch requests. */
export const LEADER_ISSUE_TASK_BATCH_SUBJECT = 'canopy.cmd.leader.task.issue-batch';

/**
 * Gateway → leading scheduler: a function's change or deletion is recorded (FunctionChangedNotice →
 * FunctionChangedReply). The gateway answers the change once the leader replies that it issues
 * tasks against it, so that a task issued after the answer runs the new version. Only the replica
 * that leads listens; without a leader, or without a reply in time, the gateway answers anyway (the
 * schedulers then learn of the change through their subscription to the function streams).
 */
export const LEADER_FUNCTION_CHANGED_SUBJECT = 'canopy.cmd.leader.function.changed';

/** Queue group of every scheduler replica, so each IssueTask request reaches exactly one of them. */
export const SCHEDULER_QUEUE_GROUP = 'canopy-scheduler';

export const nodeReportKinds = ['announce', 'heartbeat', 'progress', 'result', 'goodbye'] as const;
/** What a node sends to the scheduler; each kind has its own subject under `canopy.node.<nodeId>`. */
export type NodeReportKind = (typeof nodeReportKinds)[number];

/** Subject a node sends one kind of report on, e.g. `canopy.node.n1.heartbeat`. Throws on an unsafe node id. */
export function nodeReportSubject(nodeId: string, kind: NodeReportKind): string {
  return `canopy.node.${subjectToken(nodeId)}.${kind}`;
}

/** Wildcard the scheduler subscribes to for one kind of report from every node, e.g. `canopy.node.*.progress`. */
export function nodeReportPattern(kind: NodeReportKind): string {
  return `canopy.node.*.${kind}`;
}

/** The reports a node may ask again of every scheduler replica: those a queue group takes. */
export const againReportKinds = ['progress', 'result'] as const;
export type AgainReportKind = (typeof againReportKinds)[number];

/**
 * Node → every scheduler replica: a progress or result report asked again, e.g.
 * `canopy.node.n1.result.again`, after its first sending went unacknowledged. The report's own
 * subject reaches one replica of a queue group, picked at random; the replica that did not answer
 * (paused, cut off from its database) would get about half of what is sent there again. Every
 * replica listens here, outside the queue group, and records the report as it would the first: the
 * first acknowledgement is the answer, the others acknowledge a repeat (the same `reportId`). A node
 * that never uses it (it sends every retry on the report's own subject) is served as before.
 */
export function nodeReportAgainSubject(nodeId: string, kind: AgainReportKind): string {
  return `${nodeReportSubject(nodeId, kind)}.again`;
}

/** Wildcard every scheduler replica subscribes to for reports asked again, e.g. `canopy.node.*.result.again`. */
export function nodeReportAgainPattern(kind: AgainReportKind): string {
  return `${nodeReportPattern(kind)}.again`;
}

/**
 * Reads the sending node's id and the report kind from a subject such as `canopy.node.n1.result`
 * (or, for progress and results, `canopy.node.n1.result.again`). Throws a
 * {@link ContractViolationError} (field `subject`) for any other subject.
 */
export function parseNodeReportSubject(subject: string): { nodeId: string; kind: NodeReportKind } {
  const tokens = subject.split('.');
  const [canopy, node, nodeId, kind, again] = tokens;
  const askedAgain =
    tokens.length === 5 && again === 'again' && againReportKinds.some((known) => known === kind);
  if (
    (tokens.length !== 4 && !askedAgain) ||
    canopy !== 'canopy' ||
    node !== 'node' ||
    nodeId === undefined ||
    !isNodeId(nodeId) ||
    !isNodeReportKind(kind)
  ) {
    throw new ContractViolationError(
      'node report subject',
      'subject',
      `must be canopy.node.<nodeId>.<kind> (or .progress.again, .result.again), got "${subject}"`,
    );
  }
  return { nodeId, kind };
}

/** The sending node's id, checking that the subject is a report of the expected kind. */
export function nodeIdFromSubject(subject: string, expectedKind: NodeReportKind): string {
  const { nodeId, kind } = parseNodeReportSubject(subject);
  if (kind !== expectedKind) {
    throw new ContractViolationError(
      'node report subject',
      'subject',
      `must be a ${expectedKind} subject, got "${subject}"`,
    );
  }
  return nodeId;
}

/** Scheduler → node request offering an assignment; the node answers accept or reject. */
export function assignmentSubject(nodeId: string): string {
  return `canopy.assign.${subjectToken(nodeId)}`;
}

/** Scheduler → node publish telling it to stop running a task attempt. */
export function cancellationSubject(nodeId: string): string {
  return `canopy.cancel.${subjectToken(nodeId)}`;
}

/** Projector → gateways publish when a task's result or failure has been projected. */
export function taskNotificationSubject(taskId: string): string {
  if (!isObjectId(taskId)) {
    throw new ContractViolationError(
      'task notification subject',
      'taskId',
      'must be 24 lower-case hexadecimal characters',
    );
  }
  return `canopy.notify.task.${taskId}`;
}

/** What a gateway subscribes to in order to hear about every task. */
export const TASK_NOTIFICATION_PATTERN = 'canopy.notify.task.*';

/**
 * Scheduler → gateways publish after it appended events to the task's stream (TaskEventNotice). A
 * gateway subscribes to it only while a client follows that task's history.
 */
export function taskEventNoticeSubject(taskId: string): string {
  return `${taskNotificationSubject(taskId)}.events`;
}

/** Every task's event notices: what the scheduler may publish and a gateway may hear. */
export const TASK_EVENT_NOTICE_PATTERN = 'canopy.notify.task.*.events';

/**
 * Inbox prefix a node must use for its own requests (the `inboxPrefix` connection option), so that
 * replies to it are readable by it alone.
 */
export function nodeInboxPrefix(nodeId: string): string {
  return `_INBOX_${subjectToken(nodeId)}`;
}

/**
 * NATS permissions that bind a node to its identity: it may publish only its own reports and reply
 * to requests sent to it; it may subscribe only to its own assignments, cancellations and inbox.
 */
export function nodePermissions(nodeId: string): {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  allowResponses: true;
} {
  const token = subjectToken(nodeId);
  return {
    publish: { allow: [`canopy.node.${token}.>`] },
    subscribe: {
      allow: [assignmentSubject(token), cancellationSubject(token), `${nodeInboxPrefix(token)}.>`],
    },
    allowResponses: true,
  };
}

function subjectToken(nodeId: string): string {
  if (!isNodeId(nodeId)) {
    throw new ContractViolationError(
      'node subject',
      'nodeId',
      `must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-", got "${nodeId}"`,
    );
  }
  return nodeId;
}

function isNodeReportKind(kind: string | undefined): kind is NodeReportKind {
  return nodeReportKinds.some((known) => known === kind);
}
