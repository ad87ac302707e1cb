import { z } from 'zod';
import { attemptSchema, base64Schema, nodeIdSchema, taskIdSchema } from '../identifiers.js';

/**
 * One attempt of a task, on the node it was given to: what the scheduler's decisions about an
 * attempt and a node's reports on it name, in the events and in the commands that lead to them.
 */
export const taskAttemptOnNodeSchema = z.object({
  taskId: taskIdSchema,
  nodeId: nodeIdSchema,
  attempt: attemptSchema,
});

/** How far a running attempt is, in percent; it never decreases within an attempt. */
export const taskProgressSchema = z.int().min(0).max(100);

/** The client's HTTP request as the function will see it. */
export const taskRequestSchema = z.object({
  /** Raw query string, without the leading '?'. */
  query: z.string().refine((query) => !query.startsWith('?'), 'must not start with "?"'),
  contentType: z.string().min(1).nullable(),
  body: base64Schema,
});
export type TaskRequest = z.infer<typeof taskRequestSchema>;

/** What a node must offer to run the task (docs/architecture.md "Capabilities and matching"). */
export const taskRequirementsSchema = z.object({
  cpuCount: z.int().min(0),
  /** MiB. */
  memSize: z.int().min(0),
  /** Milliseconds; 0 means no requirement. */
  networkLatency: z.int().min(0),
  privileged: z.boolean(),
});
export type TaskRequirements = z.infer<typeof taskRequirementsSchema>;

/** The function's HTTP response, as reported by the node that ran it. */
export const taskResponseSchema = z.object({
  status: z.int().min(100).max(599),
  contentType: z.string().min(1).nullable(),
  headers: z.record(z.string(), z.string()),
  body: base64Schema,
});
export type TaskResponse = z.infer<typeof taskResponseSchema>;

/** A task's priority: 9 is taken first; see docs/architecture.md "Priority and delay". */
export const MIN_TASK_PRIORITY = 0;
export const MAX_TASK_PRIORITY = 9;
/** The priority of a task whose function and request name none. */
export const DEFAULT_TASK_PRIORITY = 5;
export const taskPrioritySchema = z.int().min(MIN_TASK_PRIORITY).max(MAX_TASK_PRIORITY);

export const unassignReasons = [
  'NODE_LOST',
  'REJECTED',
  'START_DEADLINE_MISSED',
  'NODE_DISABLED',
] as const;
export const unassignReasonSchema = z.enum(unassignReasons);
export type UnassignReason = z.infer<typeof unassignReasonSchema>;

export const taskFailureReasons = ['TIMEOUT', 'NO_RUNNER', 'NODE_LOST', 'CANCELLED'] as const;
export const taskFailureReasonSchema = z.enum(taskFailureReasons);
export type TaskFailureReason = z.infer<typeof taskFailureReasonSchema>;

/**
 * The HTTP status the platform answers for a task it gave up on. CANCELLED uses 499 ("client closed
 * request", as nginx does): the task did not fail on our side, its owner withdrew it.
 */
export const taskFailureStatus = {
  TIMEOUT: 504,
  NO_RUNNER: 503,
  NODE_LOST: 502,
  CANCELLED: 499,
} as const satisfies Record<TaskFailureReason, number>;
export type TaskFailureStatus = (typeof taskFailureStatus)[TaskFailureReason];

/** Every task event and command carries it, so payloads can change shape in a later version. */
export const contractMetadataSchema = z.object({
  schemaVersion: z.literal(1),
  /**
   * The leadership epoch of the scheduler that made the decision, on the events a leader records
   * (TaskAssigned, ...): a later leader always has a higher one.
   */
  epoch: z.int().min(1).optional(),
  /**
   * The id of the request that started what the event belongs to: the HTTP request (its
   * `x-request-id`) that issued the task, on the task's later events too when the scheduler knows it.
   */
  correlationId: z.string().min(1).max(128).optional(),
  /**
   * The id of the request or message that caused this event: the HTTP request of an issue or a
   * cancellation, the report (`reportId`) of a node. Absent for a scheduler's own decisions
   * (assignments, deadlines).
   */
  causationId: z.string().min(1).max(128).optional(),
  /** W3C trace context of the span that decided the event, while tracing is on. */
  traceparent: z.string().min(1).max(128).optional(),
  tracestate: z.string().max(512).optional(),
});
export type ContractMetadata = z.infer<typeof contractMetadataSchema>;
export const currentMetadata = (): ContractMetadata => ({ schemaVersion: 1 });

/** One event or command of a discriminated union: `{ type, data, metadata }`. */
export function contractSchema<Type extends string, Data extends z.ZodType>(
  type: Type,
  data: Data,
) {
  return z.object({ type: z.literal(type), data, metadata: contractMetadataSchema });
}
