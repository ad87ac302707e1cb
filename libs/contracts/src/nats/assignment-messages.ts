import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import {
  accountIdSchema,
  attemptSchema,
  functionIdSchema,
  taskIdSchema,
  utcTimeSchema,
} from '../identifiers.js';
import { taskRequestSchema } from '../task/task-payloads.js';
import type { TaskFailureReason, UnassignReason } from '../task/task-payloads.js';

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function isJsonValue(value: unknown, ancestors: ReadonlySet<object> = new Set()): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || ancestors.has(value)) return false;
  const path = new Set(ancestors).add(value);
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, path));
  // A plain object from any realm: its prototype is null or a prototype without one (Object.prototype).
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype !== null && Object.getPrototypeOf(prototype) !== null) return false;
  return Object.values(value).every((item) => isJsonValue(item, path));
}

// Scheduler → node, on canopy.assign.<nodeId> (request) and canopy.cancel.<nodeId> (publish).

export const assignmentSchema = z.object({
  taskId: taskIdSchema,
  attempt: attemptSchema,
  functionId: functionIdSchema,
  accountId: accountIdSchema,
  /** The function's runtime spec; opaque to Canopy's core, interpreted by the node. */
  runtime: z.custom<JsonValue>(isJsonValue, 'must be a JSON value'),
  request: taskRequestSchema,
  /** Seconds the function may run once started. */
  timeout: z.int().min(1),
  /** The node must have started the task by then, or the scheduler takes it back. */
  startBy: utcTimeSchema,
  /**
   * The leadership epoch of the scheduler that sends it: a node refuses assignments of an epoch
   * lower than the highest it has seen (`STALE_EPOCH`), so a deposed leader cannot overbook it.
   */
  epoch: z.int().min(1),
});
export type Assignment = z.infer<typeof assignmentSchema>;

export const assignmentReplySchema = z.discriminatedUnion('accepted', [
  z.object({ accepted: z.literal(true) }),
  z.object({ accepted: z.literal(false), reason: z.string().min(1) }),
]);
export type AssignmentReply = z.infer<typeof assignmentReplySchema>;

/** Why an attempt is taken away from a node: the task failed, or the attempt was unassigned. */
export const cancellationReasons = [
  'TIMEOUT',
  'NO_RUNNER',
  'NODE_LOST',
  'CANCELLED',
  'REJECTED',
  'START_DEADLINE_MISSED',
  'NODE_DISABLED',
] as const satisfies readonly (TaskFailureReason | UnassignReason)[];

export const cancellationSchema = z.object({
  taskId: taskIdSchema,
  attempt: attemptSchema,
  reason: z.enum(cancellationReasons),
});
export type Cancellation = z.infer<typeof cancellationSchema>;

export function parseAssignment(value: unknown): Assignment {
  return parseContract(assignmentSchema, 'assignment', value);
}
export function parseAssignmentReply(value: unknown): AssignmentReply {
  return parseContract(assignmentReplySchema, 'assignment reply', value);
}
export function parseCancellation(value: unknown): Cancellation {
  return parseContract(cancellationSchema, 'cancellation', value);
}
