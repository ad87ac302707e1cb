import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import {
  accountIdSchema,
  functionIdSchema,
  scheduleIdSchema,
  taskIdSchema,
  utcTimeSchema,
} from '../identifiers.js';
import { taskPrioritySchema, taskRequestSchema } from '../task/task-payloads.js';
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
  /** The task's own priority (the client's `Canopy-Priority`); absent: the function's. */
  priority: taskPrioritySchema.optional(),
  /** No node is offered the task before this time (the client's `Canopy-Not-Before`); absent: at once. */
  notBefore: utcTimeSchema.optional(),
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

/** The most tasks one IssueTaskBatch request may carry. */
export const MAX_ISSUE_TASK_BATCH = 1000;

/**
 * Gateway → scheduler on ISSUE_TASK_BATCH_SUBJECT: tasks of one function of the caller's account,
 * issued at one time, each named by the gateway (a retried batch is the same tasks). Each task is
 * recorded, or refused, on its own; the reply lists the outcomes in the request's order.
 */
export const issueTaskBatchRequestSchema = z.object({
  accountId: accountIdSchema,
  functionId: functionIdSchema,
  issuedAt: utcTimeSchema,
  tasks: z
    .array(z.object({ taskId: taskIdSchema, request: taskRequestSchema }))
    .min(1)
    .max(MAX_ISSUE_TASK_BATCH)
    .refine(
      (tasks) => new Set(tasks.map((task) => task.taskId)).size === tasks.length,
      'must not name a task twice',
    ),
});
export type IssueTaskBatchRequest = z.infer<typeof issueTaskBatchRequestSchema>;

/** The outcome of one task of a batch: recorded (in the event store), or refused with a reason. */
export const issueTaskOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), taskId: taskIdSchema }),
  refusalSchema,
]);
export type IssueTaskOutcome = z.infer<typeof issueTaskOutcomeSchema>;

/**
 * `ok: true` with one outcome per task, in order (the codes of issueTaskErrorCodes; UNAVAILABLE ones
 * may be asked again), or a refusal of the whole batch (FUNCTION_NOT_FOUND, CONTRACT_VIOLATION...).
 */
export const issueTaskBatchReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), outcomes: z.array(issueTaskOutcomeSchema) }),
  refusalSchema,
]);
export type IssueTaskBatchReply = z.infer<typeof issueTaskBatchReplySchema>;

export function parseIssueTaskBatchRequest(value: unknown): IssueTaskBatchRequest {
  return parseContract(issueTaskBatchRequestSchema, 'IssueTaskBatch request', value);
}

export function parseIssueTaskBatchReply(value: unknown): IssueTaskBatchReply {
  return parseContract(issueTaskBatchReplySchema, 'IssueTaskBatch reply', value);
}
