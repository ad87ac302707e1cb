import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { taskIdSchema } from '../identifiers.js';
import { taskIssuedDataSchema } from '../task/task-events.js';
import { refusalSchema } from './reply-error.js';

/**
 * Gateway → scheduler on ISSUE_TASK_SUBJECT: the fields of TaskIssued the gateway knows, as the event
 * records them. The gateway names the task (so a retried request is the same task) and the caller's
 * account; `priority` is the task's own (the client's `Canopy-Priority`; absent: the function's) and
 * `notBefore` the client's `Canopy-Not-Before` (absent: at once). The scheduler reads the function from
 * the event store, checks that the account owns it, and records TaskIssued with the function's
 * version, requirements and timeout.
 */
export const issueTaskRequestSchema = taskIssuedDataSchema.pick({
  taskId: true,
  accountId: true,
  functionId: true,
  scheduleId: true,
  request: true,
  issuedAt: true,
  priority: true,
  notBefore: true,
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
 * issued at one time, each named by the gateway (a retried batch is the same tasks); the fields are
 * TaskIssued's. Each task is recorded, or refused, on its own; the reply lists the outcomes in the
 * request's order.
 */
export const issueTaskBatchRequestSchema = taskIssuedDataSchema
  .pick({ accountId: true, functionId: true, issuedAt: true })
  .extend({
    tasks: z
      .array(taskIssuedDataSchema.pick({ taskId: true, request: true }))
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
