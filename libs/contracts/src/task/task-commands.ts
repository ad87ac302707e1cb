import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { accountIdSchema, taskIdSchema, utcTimeSchema } from '../identifiers.js';
import { taskIssuedDataSchema } from './task-events.js';
import {
  contractSchema,
  currentMetadata,
  taskAttemptOnNodeSchema,
  taskFailureReasonSchema,
  taskProgressSchema,
  taskResponseSchema,
  unassignReasonSchema,
} from './task-payloads.js';

// The decider's input. Commands carry every time and id: the domain makes none.

export const issueTaskSchema = contractSchema('IssueTask', taskIssuedDataSchema);

export const assignTaskSchema = contractSchema(
  'AssignTask',
  taskAttemptOnNodeSchema.extend({ now: utcTimeSchema }),
);

export const unassignTaskSchema = contractSchema(
  'UnassignTask',
  taskAttemptOnNodeSchema.extend({ reason: unassignReasonSchema, now: utcTimeSchema }),
);

export const recordProgressSchema = contractSchema(
  'RecordProgress',
  taskAttemptOnNodeSchema.extend({ progress: taskProgressSchema, now: utcTimeSchema }),
);

export const finishTaskSchema = contractSchema(
  'FinishTask',
  taskAttemptOnNodeSchema.extend({ response: taskResponseSchema, now: utcTimeSchema }),
);

export const failTaskSchema = contractSchema(
  'FailTask',
  z.object({
    taskId: taskIdSchema,
    reason: taskFailureReasonSchema,
    message: z.string(),
    now: utcTimeSchema,
  }),
);

/** The owner withdraws the task: it fails with CANCELLED unless it is over already. */
export const cancelTaskSchema = contractSchema(
  'CancelTask',
  z.object({
    taskId: taskIdSchema,
    /** The caller's account: another account's task is as missing as one never issued. */
    accountId: accountIdSchema,
    now: utcTimeSchema,
  }),
);

export const taskCommandSchema = z.discriminatedUnion('type', [
  issueTaskSchema,
  assignTaskSchema,
  unassignTaskSchema,
  recordProgressSchema,
  finishTaskSchema,
  failTaskSchema,
  cancelTaskSchema,
]);

export type IssueTask = z.infer<typeof issueTaskSchema>;
export type AssignTask = z.infer<typeof assignTaskSchema>;
export type UnassignTask = z.infer<typeof unassignTaskSchema>;
export type RecordProgress = z.infer<typeof recordProgressSchema>;
export type FinishTask = z.infer<typeof finishTaskSchema>;
export type FailTask = z.infer<typeof failTaskSchema>;
export type CancelTask = z.infer<typeof cancelTaskSchema>;
export type TaskCommand = z.infer<typeof taskCommandSchema>;
export type TaskCommandType = TaskCommand['type'];
export type TaskCommandOf<Type extends TaskCommandType> = Extract<TaskCommand, { type: Type }>;

export const taskCommandTypes = taskCommandSchema.options.map((option) => option.shape.type.value);

export function parseTaskCommand(value: unknown): TaskCommand {
  return parseContract(taskCommandSchema, 'task command', value);
}

/** The gateway → scheduler request on `canopy.cmd.task.issue`. */
export function parseIssueTask(value: unknown): IssueTask {
  return parseContract(issueTaskSchema, 'IssueTask command', value);
}

/** Builds a command of the current schema version. */
export function taskCommand<Type extends TaskCommandType>(
  type: Type,
  data: TaskCommandOf<Type>['data'],
): TaskCommandOf<Type> {
  return { type, data, metadata: currentMetadata() } as TaskCommandOf<Type>;
}
