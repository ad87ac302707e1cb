import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { taskIdSchema } from '../identifiers.js';

/**
 * Published on canopy.notify.task.<taskId>.events by the scheduler that appended an event to the
 * task's stream, for gateways following the task's history live. A hint to read the stream again
 * from the version they have: a lost one only delays what they send until their next look.
 */
export const taskEventNoticeSchema = z.object({
  taskId: taskIdSchema,
  /** The stream version of the last event appended. */
  streamVersion: z.int().min(1),
});
export type TaskEventNotice = z.infer<typeof taskEventNoticeSchema>;

export function parseTaskEventNotice(value: unknown): TaskEventNotice {
  return parseContract(taskEventNoticeSchema, 'task event notice', value);
}
