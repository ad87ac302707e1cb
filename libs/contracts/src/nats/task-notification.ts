import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { taskIdSchema } from '../identifiers.js';

/**
 * Published on canopy.notify.task.<taskId> when the task's outcome is recorded (by the scheduler that
 * recorded it) and again once it is in the read models (by the projector). A hint to look again.
 */
export const taskNotificationSchema = z.object({
  taskId: taskIdSchema,
  state: z.enum(['FINISHED', 'FAILED']),
});
export type TaskNotification = z.infer<typeof taskNotificationSchema>;

export function parseTaskNotification(value: unknown): TaskNotification {
  return parseContract(taskNotificationSchema, 'task notification', value);
}
