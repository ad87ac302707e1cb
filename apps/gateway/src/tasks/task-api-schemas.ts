import {
  functionIdSchema,
  nodeIdSchema,
  taskIdSchema,
  taskRequirementsSchema,
} from '@canopy/contracts';
import { z } from 'zod';
import { unixSecondsSchema } from '../openapi/api-description.js';
import type { CancelledTaskJson } from './task-canceller.js';
import type { TaskHistoryEntryJson } from './task-history-json.js';
import type { TaskJson, TaskListEntryJson } from './task-json.js';

// The task API's response bodies as zod schemas, for the OpenAPI document. The types below fail to
// compile when a schema and the type the controller returns drift apart.

const progressSchema = z.int().min(0).max(100).meta({
  description: 'Percent done, 0 to 100, never decreasing',
  example: 75,
});

const statusSchema = z.int().min(0).max(599).meta({
  description:
    "0 until the task is terminal; then the function's HTTP status, or the platform's: 504 timeout, 503 no node could take it, 502 node lost, 499 cancelled",
  example: 200,
});

export const issuedTaskSchema = z.object({
  id: taskIdSchema.meta({ description: 'The new task', example: '63f47d24dab5eb85451f3b61' }),
});

export const taskJsonSchema = z.object({
  id: taskIdSchema,
  functionId: functionIdSchema.meta({ description: 'The function the task runs' }),
  issued: unixSecondsSchema,
  assigned: unixSecondsSchema.nullable().meta({
    description: 'When a node accepted the current attempt; null before',
  }),
  finished: unixSecondsSchema.nullable().meta({
    description: 'When the task became terminal; null before',
  }),
  progress: progressSchema,
  node: nodeIdSchema.nullable().meta({
    description: 'The node of the current attempt; null before the first assignment',
    example: '1a061cfd-df01-4b02-a067-5122c5941e15',
  }),
  timeout: z.int().min(1).meta({ description: 'Seconds the function may run', example: 10 }),
  capabilities: taskRequirementsSchema.meta({
    description:
      'What a node must offer to run the task: cpuCount, memSize (MiB), networkLatency (ms, 0 = any), privileged',
  }),
  status: statusSchema,
});

export const taskListEntrySchema = z.object({
  id: taskIdSchema,
  issued: unixSecondsSchema,
  progress: progressSchema,
  status: statusSchema,
});

export const taskListSchema = z.array(taskListEntrySchema);

export const pendingResultSchema = z.object({
  progress: progressSchema,
  status: z.literal(0),
});

export const cancelledTaskSchema = z.object({
  id: taskIdSchema,
  status: z
    .literal(499)
    .meta({ description: 'The status of a cancelled task, everywhere in the API' }),
  cancelled: unixSecondsSchema.meta({ description: 'When the cancellation was recorded' }),
});

const attemptSchema = z.int().min(1).meta({ description: 'The attempt (1, 2, ...)' });
const nodeSchema = nodeIdSchema.meta({
  description: 'The node of the attempt, as `GET /v1/task/:taskId` shows it',
});

export const taskHistoryEntrySchema = z.discriminatedUnion('type', [
  historyEntry(
    'TaskIssued',
    z.object({
      functionId: functionIdSchema,
      scheduleId: taskIdSchema.nullable().meta({ description: 'The schedule that issued it' }),
      timeout: z.int().min(1),
      maxAttempts: z.int().min(1),
      capabilities: taskRequirementsSchema,
      priority: z.int().min(0).max(9).meta({ description: "The task's priority, 9 first" }),
      notBefore: unixSecondsSchema
        .nullable()
        .meta({ description: 'No node is offered the task before then (Canopy-Not-Before)' }),
    }),
  ),
  historyEntry('TaskAssigned', z.object({ node: nodeSchema, attempt: attemptSchema })),
  historyEntry(
    'TaskUnassigned',
    z.object({
      node: nodeSchema,
      attempt: attemptSchema,
      reason: z.string().meta({
        description: 'NODE_LOST, NODE_DISABLED, REJECTED or START_DEADLINE_MISSED',
      }),
    }),
  ),
  historyEntry('TaskProgressed', z.object({ attempt: attemptSchema, progress: progressSchema })),
  historyEntry(
    'TaskAttemptFailed',
    z.object({
      node: nodeSchema,
      attempt: attemptSchema,
      status: z.int().min(100).max(599).meta({
        description:
          "The function's HTTP status, one its retry policy retries (the body is not kept)",
      }),
      retryAt: unixSecondsSchema.meta({ description: 'When the task is due again' }),
    }),
  ),
  historyEntry(
    'TaskFinished',
    z.object({
      attempt: attemptSchema,
      status: z.int().min(100).max(599).meta({ description: "The function's HTTP status" }),
    }),
  ),
  historyEntry(
    'TaskFailed',
    z.object({
      reason: z.string().meta({ description: 'TIMEOUT, NO_RUNNER, NODE_LOST or CANCELLED' }),
      status: statusSchema,
      message: z.string(),
    }),
  ),
]);

export const taskHistorySchema = z.array(taskHistoryEntrySchema);

function historyEntry<Type extends string, Data extends z.ZodType>(type: Type, data: Data) {
  return z.object({
    version: z.int().min(1).meta({
      description: "The event's version in the task's stream: 1, 2, 3... (the SSE event id)",
    }),
    type: z.literal(type),
    at: unixSecondsSchema.meta({ description: 'When it happened' }),
    data,
  });
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type TaskSchemasMatchTheirTypes = [
  Holds<Same<z.output<typeof taskJsonSchema>, TaskJson>>,
  Holds<Same<z.output<typeof taskListEntrySchema>, TaskListEntryJson>>,
  Holds<Same<z.output<typeof cancelledTaskSchema>['id'], CancelledTaskJson['id']>>,
  Holds<Same<z.output<typeof taskHistoryEntrySchema>['type'], TaskHistoryEntryJson['type']>>,
];
