import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { taskIdSchema } from '../identifiers.js';
import { replyErrorSchema } from './reply-error.js';

// The request on ISSUE_TASK_SUBJECT is the IssueTask command itself (see parseIssueTask).

/** The scheduler replies only after TaskIssued is in the event store, so `ok: true` means the task is durable. */
export const issueTaskReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), taskId: taskIdSchema }),
  z.object({ ok: z.literal(false), error: replyErrorSchema }),
]);
export type IssueTaskReply = z.infer<typeof issueTaskReplySchema>;

export function parseIssueTaskReply(value: unknown): IssueTaskReply {
  return parseContract(issueTaskReplySchema, 'IssueTask reply', value);
}
