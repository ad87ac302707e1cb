import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { accountIdSchema, taskIdSchema, utcTimeSchema } from '../identifiers.js';
import { taskFailureReasonSchema } from '../task/task-payloads.js';
import { refusalSchema } from './reply-error.js';

/**
 * Gateway → scheduler on CANCEL_TASK_SUBJECT: the caller's account withdraws one of its tasks. Any
 * scheduler replica records it (the CancelTask command); the one that does tells the node running
 * the task to stop. Repeating the request is harmless: it is answered from the task as it stands.
 */
export const cancelTaskRequestSchema = z.object({
  taskId: taskIdSchema,
  accountId: accountIdSchema,
});
export type CancelTaskRequest = z.infer<typeof cancelTaskRequestSchema>;

/** Error codes of a refused CancelTask request. */
export const cancelTaskErrorCodes = {
  /** No such task in the caller's account (another account's task reads as missing). */
  TASK_NOT_FOUND: 'TASK_NOT_FOUND',
  /** The request did not match its schema; `field` names the problem. */
  CONTRACT_VIOLATION: 'CONTRACT_VIOLATION',
  /** The event store did not answer, or stayed contended; the gateway may ask again. */
  UNAVAILABLE: 'UNAVAILABLE',
} as const;

/**
 * Where the task ended, as recorded when the request was decided: `CANCELLED` when the cancellation
 * (this one or an earlier one) is what ended it; otherwise the outcome that was recorded first (the
 * function's response, or another failure), which the cancellation did not change.
 */
export const taskEndingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('CANCELLED'), at: utcTimeSchema }),
  z.object({ kind: z.literal('FINISHED'), status: z.int().min(100).max(599), at: utcTimeSchema }),
  z.object({
    kind: z.literal('FAILED'),
    reason: taskFailureReasonSchema.exclude(['CANCELLED']),
    status: z.int(),
    at: utcTimeSchema,
  }),
]);
export type TaskEnding = z.infer<typeof taskEndingSchema>;

/** The scheduler replies once the task's ending is in the event store. */
export const cancelTaskReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), taskId: taskIdSchema, ending: taskEndingSchema }),
  refusalSchema,
]);
export type CancelTaskReply = z.infer<typeof cancelTaskReplySchema>;

export function parseCancelTaskRequest(value: unknown): CancelTaskRequest {
  return parseContract(cancelTaskRequestSchema, 'CancelTask request', value);
}

export function parseCancelTaskReply(value: unknown): CancelTaskReply {
  return parseContract(cancelTaskReplySchema, 'CancelTask reply', value);
}
