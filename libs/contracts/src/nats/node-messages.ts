import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import {
  attemptSchema,
  nodeIdSchema,
  reportIdSchema,
  taskIdSchema,
  utcTimeSchema,
} from '../identifiers.js';
import {
  taskProgressSchema,
  taskRequirementsSchema,
  taskResponseSchema,
} from '../task/task-payloads.js';
import { refusalSchema, replyErrorSchema } from './reply-error.js';

// Node → scheduler requests on canopy.node.<nodeId>.<kind>. Any nodeId in a body is informative only:
// the scheduler identifies the sender by the subject, which NATS permissions bind to the node.

/** What a node offers; same shape as a task's requirements. */
export const nodeCapabilitiesSchema = taskRequirementsSchema;
export type NodeCapabilities = z.infer<typeof nodeCapabilitiesSchema>;

export const runningTaskSchema = z.object({ taskId: taskIdSchema, attempt: attemptSchema });
export type RunningTask = z.infer<typeof runningTaskSchema>;

export const nodeAnnouncementSchema = z.object({
  nodeId: nodeIdSchema,
  capabilities: nodeCapabilitiesSchema,
  slots: z.int().min(1),
  /** Attempts still running on the node, e.g. after it reconnected. */
  runningTasks: z.array(runningTaskSchema),
  /** Name and version of the node software, e.g. `canopy-node-agent/0.1.0`. */
  agent: z.string().min(1).max(200),
});
export type NodeAnnouncement = z.infer<typeof nodeAnnouncementSchema>;

export const announcementReplySchema = z.discriminatedUnion('ok', [
  z
    .object({
      ok: z.literal(true),
      heartbeatIntervalMs: z.int().min(1),
      /** After this long without a heartbeat the scheduler treats the node as lost. */
      heartbeatTimeoutMs: z.int().min(1),
    })
    .refine((reply) => reply.heartbeatTimeoutMs > reply.heartbeatIntervalMs, {
      path: ['heartbeatTimeoutMs'],
      message: 'must be greater than heartbeatIntervalMs',
    }),
  refusalSchema,
]);
export type AnnouncementReply = z.infer<typeof announcementReplySchema>;

export const nodeHeartbeatSchema = z.object({
  nodeId: nodeIdSchema,
  freeSlots: z.int().min(0),
  runningTasks: z.array(runningTaskSchema),
  /**
   * When the node composed the heartbeat: the attempts it lists are judged as of then, so one held
   * up on its way does not make a newer assignment look lost.
   */
  sentAt: utcTimeSchema,
});
export type NodeHeartbeat = z.infer<typeof nodeHeartbeatSchema>;

/** Heartbeat error code telling the node to announce itself again. */
export const UNKNOWN_NODE = 'UNKNOWN_NODE';

/**
 * Error code of every reply to a node its owner disabled: announcements and heartbeats are refused,
 * and so are reports (with `retry: false`). The node may announce again once it is enabled.
 */
export const NODE_DISABLED = 'NODE_DISABLED';

export const heartbeatReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true) }),
  refusalSchema,
]);
export type HeartbeatReply = z.infer<typeof heartbeatReplySchema>;

export const progressReportSchema = z.object({
  /** Generated once per report and reused by every retry, so the scheduler can drop duplicates. */
  reportId: reportIdSchema,
  taskId: taskIdSchema,
  attempt: attemptSchema,
  progress: taskProgressSchema,
});
export type ProgressReport = z.infer<typeof progressReportSchema>;

export const resultReportSchema = z.object({
  reportId: reportIdSchema,
  taskId: taskIdSchema,
  attempt: attemptSchema,
  response: taskResponseSchema,
});
export type ResultReport = z.infer<typeof resultReportSchema>;

export const nodeGoodbyeSchema = z.object({ nodeId: nodeIdSchema });
export type NodeGoodbye = z.infer<typeof nodeGoodbyeSchema>;

/** Reply to progress, result and goodbye. `retry: false` is definitive: the node must stop resending. */
export const nodeAckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), error: replyErrorSchema, retry: z.boolean() }),
]);
export type NodeAck = z.infer<typeof nodeAckSchema>;

export function parseNodeAnnouncement(value: unknown): NodeAnnouncement {
  return parseContract(nodeAnnouncementSchema, 'node announcement', value);
}
export function parseAnnouncementReply(value: unknown): AnnouncementReply {
  return parseContract(announcementReplySchema, 'announcement reply', value);
}
export function parseNodeHeartbeat(value: unknown): NodeHeartbeat {
  return parseContract(nodeHeartbeatSchema, 'node heartbeat', value);
}
export function parseHeartbeatReply(value: unknown): HeartbeatReply {
  return parseContract(heartbeatReplySchema, 'heartbeat reply', value);
}
export function parseProgressReport(value: unknown): ProgressReport {
  return parseContract(progressReportSchema, 'progress report', value);
}
export function parseResultReport(value: unknown): ResultReport {
  return parseContract(resultReportSchema, 'result report', value);
}
export function parseNodeGoodbye(value: unknown): NodeGoodbye {
  return parseContract(nodeGoodbyeSchema, 'node goodbye', value);
}
export function parseNodeAck(value: unknown): NodeAck {
  return parseContract(nodeAckSchema, 'node ack', value);
}
