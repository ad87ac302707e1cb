import {
  functionIdSchema,
  nodeIdSchema,
  taskIdSchema,
  taskRequirementsSchema,
} from '@canopy/contracts';
import { z } from 'zod';
import { unixSecondsSchema } from '../openapi/api-description.js';
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

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type TaskSchemasMatchTheirTypes = [
  Holds<Same<z.output<typeof taskJsonSchema>, TaskJson>>,
  Holds<Same<z.output<typeof taskListEntrySchema>, TaskListEntryJson>>,
];
