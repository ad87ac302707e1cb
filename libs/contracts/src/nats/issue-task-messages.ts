import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import {
  accountIdSchema,
  functionIdSchema,
  scheduleIdSchema,
  taskIdSchema,
  utcTimeSchema,
} from '../identifiers.js';
import { taskRequestSchema } from '../task/task-payloads.js';
import { refusalSchema } from './reply-error.js';

/**
 * Gateway → scheduler on ISSUE_TASK_SUBJECT. The gateway names the task (so a retried request is the
 * same task) and the caller's account; the scheduler reads the function from the event store, checks
 * that the account owns it, and records TaskIssued with the function's requirements and timeout.
 */
export const issueTaskRequestSchema = z.object({
  taskId: taskIdSchema,
  accountId: accountIdSchema,
  functionId: functionIdSchema,
  scheduleId: scheduleIdSchema.nullable(),
  request: taskRequestSchema,
  issuedAt: utcTimeSchema,
});
export type IssueTaskRequest = z.infer<typeof issueTaskRequestSchema>;

/** Error codes of a refused IssueTask request. */
export const issueTaskErrorCodes = {
  /** No such function in the caller's account (another account's function reads as missing). */
  FUNCTION_NOT_FOUND: 'FUNCTION_NOT_FOUND',
  /** The task id is already taken by a different task. */
  TASK_ALREADY_ISSUED: 'TASK_ALREADY_ISSUED',
  /** The request did not match its schema; `field` names the problem. */
  CONTRACT_VIOLATION: 'CONTRACT_VIOLATION',
  /** The event store did not answer; the gateway may retry with the same task id. */
  UNAVAILABLE: 'UNAVAILABLE',
  /**
   * The account already has MAX_WAITING_TASKS_PER_ACCOUNT unfinished tasks; nothing was recorded.
   * Worth asking again once some of its tasks have finished.
   */
  NO_QUOTA_AVAILABLE: 'NO_QUOTA_AVAILABLE',
} as const;

/** The scheduler replies only after TaskIssued is in the event store, so `ok: true` means the task is durable. */
export const issueTaskReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), taskId: taskIdSchema }),
  refusalSchema,
]);
export type IssueTaskReply = z.infer<typeof issueTaskReplySchema>;

export function parseIssueTaskRequest(value: unknown): IssueTaskRequest {
  return parseContract(issueTaskRequestSchema, 'IssueTask request', value);
}

export function parseIssueTaskReply(value: unknown): IssueTaskReply {
  return parseContract(issueTaskReplySchema, 'IssueTask reply', value);
}
