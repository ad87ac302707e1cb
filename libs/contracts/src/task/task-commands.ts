import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { attemptSchema, nodeIdSchema, taskIdSchema, utcTimeSchema } from '../identifiers.js';
import { taskIssuedDataSchema } from './task-events.js';
import {
  contractMetadataSchema,
  currentMetadata,
  taskFailureReasonSchema,
  taskResponseSchema,
  unassignReasonSchema,
} from './task-payloads.js';

// The decider's input. Commands carry every time and id: the domain makes none.

export const issueTaskSchema = z.object({
  type: z.literal('IssueTask'),
  data: taskIssuedDataSchema,
  metadata: contractMetadataSchema,
});

export const assignTaskSchema = z.object({
  type: z.literal('AssignTask'),
  data: z.object({
    taskId: taskIdSchema,
    nodeId: nodeIdSchema,
    attempt: attemptSchema,
    now: utcTimeSchema,
  }),
  metadata: contractMetadataSchema,
});

export const unassignTaskSchema = z.object({
  type: z.literal('UnassignTask'),
  data: z.object({
    taskId: taskIdSchema,
    nodeId: nodeIdSchema,
    attempt: attemptSchema,
    reason: unassignReasonSchema,
    now: utcTimeSchema,
  }),
  metadata: contractMetadataSchema,
});

export const recordProgressSchema = z.object({
  type: z.literal('RecordProgress'),
  data: z.object({
    taskId: taskIdSchema,
    nodeId: nodeIdSchema,
    attempt: attemptSchema,
    progress: z.int().min(0).max(100),
    now: utcTimeSchema,
  }),
  metadata: contractMetadataSchema,
});

export const finishTaskSchema = z.object({
  type: z.literal('FinishTask'),
  data: z.object({
    taskId: taskIdSchema,
    nodeId: nodeIdSchema,
    attempt: attemptSchema,
    response: taskResponseSchema,
    now: utcTimeSchema,
  }),
  metadata: contractMetadataSchema,
});

export const failTaskSchema = z.object({
  type: z.literal('FailTask'),
  data: z.object({
    taskId: taskIdSchema,
    reason: taskFailureReasonSchema,
    message: z.string(),
    now: utcTimeSchema,
  }),
  metadata: contractMetadataSchema,
});

export const taskCommandSchema = z.discriminatedUnion('type', [
  issueTaskSchema,
  assignTaskSchema,
  unassignTaskSchema,
  recordProgressSchema,
  finishTaskSchema,
  failTaskSchema,
]);

export type IssueTask = z.infer<typeof issueTaskSchema>;
export type AssignTask = z.infer<typeof assignTaskSchema>;
export type UnassignTask = z.infer<typeof unassignTaskSchema>;
export type RecordProgress = z.infer<typeof recordProgressSchema>;
export type FinishTask = z.infer<typeof finishTaskSchema>;
export type FailTask = z.infer<typeof failTaskSchema>;
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
