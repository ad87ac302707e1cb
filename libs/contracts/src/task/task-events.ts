import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { retryPolicySchema } from '../function/retry-policy.js';
import {
  accountIdSchema,
  functionIdSchema,
  scheduleIdSchema,
  taskIdSchema,
  utcTimeSchema,
} from '../identifiers.js';
import {
  contractSchema,
  currentMetadata,
  taskAttemptOnNodeSchema,
  taskFailureReasonSchema,
  taskFailureStatus,
  taskPrioritySchema,
  taskProgressSchema,
  taskRequestSchema,
  taskRequirementsSchema,
  taskResponseSchema,
  unassignReasonSchema,
} from './task-payloads.js';

// Event names and payload fields are read by analysts and nodes: change them only with a new schemaVersion.

export const taskIssuedDataSchema = z.object({
  taskId: taskIdSchema,
  accountId: accountIdSchema,
  functionId: functionIdSchema,
  /**
   * The version of the function the task was issued against, and runs: its requirements and timeout
   * below, and the runtime a node gets. Events recorded before functions had versions have none:
   * they were issued against version 1.
   */
  functionVersion: z.int().min(1).default(1),
  scheduleId: scheduleIdSchema.nullable(),
  request: taskRequestSchema,
  requirements: taskRequirementsSchema,
  /** Seconds the function may run once started. */
  timeout: z.int().min(1),
  maxAttempts: z.int().min(1),
  /** Seconds the task may wait for a node before it fails with NO_RUNNER. */
  pendingDeadline: z.int().min(1),
  issuedAt: utcTimeSchema,
  // Added later, so optional: a TaskIssued recorded before reads as priority 5, no delay, no retry.
  /** 0..9, 9 taken first (the request's, else the function's, else DEFAULT_TASK_PRIORITY). */
  priority: taskPrioritySchema.optional(),
  /** No node is offered the task before this time; absent: at once. */
  notBefore: utcTimeSchema.optional(),
  /** The function's retry policy when the task was issued; absent: no answer is retried. */
  retry: retryPolicySchema.optional(),
});

export const taskAssignedDataSchema = taskAttemptOnNodeSchema.extend({
  assignedAt: utcTimeSchema,
});

export const taskUnassignedDataSchema = taskAttemptOnNodeSchema.extend({
  reason: unassignReasonSchema,
  at: utcTimeSchema,
});

export const taskProgressedDataSchema = taskAttemptOnNodeSchema.extend({
  progress: taskProgressSchema,
  at: utcTimeSchema,
});

/**
 * The function answered, on the current attempt, with a status its retry policy retries, and attempts
 * are left: the attempt is over and the task waits until `retryAt` for the next. Only the status is
 * recorded; the body of a failed attempt is not kept (the last attempt's answer is the task's result).
 */
export const taskAttemptFailedDataSchema = taskAttemptOnNodeSchema.extend({
  status: z.int().min(100).max(599),
  retryAt: utcTimeSchema,
  at: utcTimeSchema,
});

export const taskFinishedDataSchema = taskAttemptOnNodeSchema.extend({
  response: taskResponseSchema,
  finishedAt: utcTimeSchema,
});

export const taskFailedDataSchema = z
  .object({
    taskId: taskIdSchema,
    reason: taskFailureReasonSchema,
    status: z.int(),
    message: z.string(),
    at: utcTimeSchema,
  })
  .superRefine((data, context) => {
    const expected = taskFailureStatus[data.reason];
    if (data.status !== expected) {
      context.addIssue({
        code: 'custom',
        path: ['status'],
        message: `must be ${expected} for reason ${data.reason}`,
      });
    }
  });

export const taskIssuedSchema = contractSchema('TaskIssued', taskIssuedDataSchema);
export const taskAssignedSchema = contractSchema('TaskAssigned', taskAssignedDataSchema);
export const taskUnassignedSchema = contractSchema('TaskUnassigned', taskUnassignedDataSchema);
export const taskProgressedSchema = contractSchema('TaskProgressed', taskProgressedDataSchema);
export const taskAttemptFailedSchema = contractSchema(
  'TaskAttemptFailed',
  taskAttemptFailedDataSchema,
);
export const taskFinishedSchema = contractSchema('TaskFinished', taskFinishedDataSchema);
export const taskFailedSchema = contractSchema('TaskFailed', taskFailedDataSchema);

export const taskEventSchema = z.discriminatedUnion('type', [
  taskIssuedSchema,
  taskAssignedSchema,
  taskUnassignedSchema,
  taskProgressedSchema,
  taskAttemptFailedSchema,
  taskFinishedSchema,
  taskFailedSchema,
]);

export type TaskIssued = z.infer<typeof taskIssuedSchema>;
export type TaskAssigned = z.infer<typeof taskAssignedSchema>;
export type TaskUnassigned = z.infer<typeof taskUnassignedSchema>;
export type TaskProgressed = z.infer<typeof taskProgressedSchema>;
export type TaskAttemptFailed = z.infer<typeof taskAttemptFailedSchema>;
export type TaskFinished = z.infer<typeof taskFinishedSchema>;
export type TaskFailed = z.infer<typeof taskFailedSchema>;
export type TaskEvent = z.infer<typeof taskEventSchema>;
export type TaskEventType = TaskEvent['type'];
export type TaskEventOf<Type extends TaskEventType> = Extract<TaskEvent, { type: Type }>;

export const taskEventTypes = taskEventSchema.options.map((option) => option.shape.type.value);

/** The events of the stream `task-<taskId>`, as stored. */
export function parseTaskEvent(value: unknown): TaskEvent {
  return parseContract(taskEventSchema, 'task event', value);
}

/** Builds an event of the current schema version. */
export function taskEvent<Type extends TaskEventType>(
  type: Type,
  data: TaskEventOf<Type>['data'],
): TaskEventOf<Type> {
  return { type, data, metadata: currentMetadata() } as TaskEventOf<Type>;
}

/** Stream of one task. */
export function taskStreamId(taskId: string): string {
  return `task-${taskId}`;
}
