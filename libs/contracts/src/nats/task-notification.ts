import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { taskIdSchema } from '../identifiers.js';

/** Published on canopy.notify.task.<taskId> once the task's outcome is in the read models. */
export const taskNotificationSchema = z.object({
  taskId: taskIdSchema,
  state: z.enum(['FINISHED', 'FAILED']),
});
export type TaskNotification = z.infer<typeof taskNotificationSchema>;

export function parseTaskNotification(value: unknown): TaskNotification {
  return parseContract(taskNotificationSchema, 'task notification', value);
}
