import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { accountIdSchema, taskIdSchema } from '../identifiers.js';
import { taskFailureReasonSchema, taskResponseSchema } from '../task/task-payloads.js';

/**
 * The largest function response body (base64 characters) a scheduler puts into the notification of
 * a finished task; a larger one is left out and a gateway reads it from the event store.
 */
export const MAX_NOTIFIED_BODY_BASE64 = 64 * 1024;

/**
 * Published on canopy.notify.task.<taskId> when the task's outcome is recorded (by the scheduler that
 * recorded it) and again once it is in the read models (by the projector). A hint to look again; the
 * scheduler's also carries the task's account and the outcome it recorded (the function's response,
 * unless its body is over {@link MAX_NOTIFIED_BODY_BASE64}, or the failure), which a gateway may
 * serve at once: it is in the event store before the notification leaves.
 */
export const taskNotificationSchema = z.object({
  taskId: taskIdSchema,
  state: z.enum(['FINISHED', 'FAILED']),
  accountId: accountIdSchema.optional(),
  response: taskResponseSchema.optional(),
  failure: z.object({ reason: taskFailureReasonSchema, status: z.int() }).optional(),
});
export type TaskNotification = z.infer<typeof taskNotificationSchema>;

export function parseTaskNotification(value: unknown): TaskNotification {
  return parseContract(taskNotificationSchema, 'task notification', value);
}
