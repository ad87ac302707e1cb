import {
  DEFAULT_TASK_PRIORITY,
  functionCapabilitiesSchema,
  functionIdSchema,
  retryBackoffSchema,
  retryPolicySchema,
  runtimeSpecSchema,
  taskPrioritySchema,
} from '@canopy/contracts';
import type { FunctionCapabilities, RetryPolicy } from '@canopy/contracts';
import { z } from 'zod';
import { functionMetricsSchema } from '../metrics/metrics-schemas.js';
import { unixSecondsSchema } from '../openapi/api-description.js';
import type { FunctionJson, FunctionWithMetricsJson } from './function-catalog.js';

// The function API's bodies as zod schemas: the registration body the controller parses, and what
// the OpenAPI document says the responses are. The types below fail to compile when a response
// schema and the type the controller returns drift apart.

const nameSchema = z.string().trim().min(1).max(200).meta({ example: 'echo' });
const descriptionSchema = z.string().max(2000).meta({ example: 'Answers with what it was sent' });
const langSchema = z.string().max(50).meta({ example: 'sh' });
const typeSchema = z.string().max(50).meta({ example: 'process' });

// Requirements left out are no requirement.
const { timeout, cpuCount, memSize, networkLatency, privileged } = functionCapabilitiesSchema.shape;
const requestedCapabilitiesSchema = z
  .object({
    timeout,
    cpuCount: cpuCount.default(0),
    memSize: memSize.default(0),
    networkLatency: networkLatency.default(0),
    privileged: privileged.default(false),
  })
  .meta({
    description:
      'timeout (seconds) is required; cpuCount, memSize (MiB), networkLatency (ms) and privileged default to no requirement',
  });

// A retry policy as a client writes it: only maxAttempts is required.
const { initialSeconds, multiplier, maxSeconds } = retryBackoffSchema.shape;
const requestedRetrySchema = z
  .strictObject({
    maxAttempts: retryPolicySchema.shape.maxAttempts.meta({
      description: 'Attempts that may answer with a retried status, the first included (1..20)',
      example: 3,
    }),
    backoff: z
      .strictObject({
        initialSeconds: initialSeconds.default(1),
        multiplier: multiplier.default(2),
        maxSeconds: maxSeconds.default(300),
      })
      .refine((backoff) => backoff.maxSeconds >= backoff.initialSeconds, {
        path: ['maxSeconds'],
        message: 'must not be less than initialSeconds',
      })
      .default({ initialSeconds: 1, multiplier: 2, maxSeconds: 300 })
      .meta({
        description:
          'The wait before attempt n+1 is initialSeconds × multiplier^(n−1) seconds, at most maxSeconds (defaults 1, 2, 300)',
      }),
    on: retryPolicySchema.shape.on.default(['5xx']).meta({
      description:
        'Statuses (400..599) or classes ("4xx", "5xx") that count as a failed attempt; default ["5xx"]',
      example: ['5xx', 429],
    }),
  })
  .meta({
    description:
      "Retry the function when it answers with a status in `on`: the attempt is recorded as failed and the task waits out the backoff; the last attempt's answer is the task's result",
  });

/** POST /v1/function: the function as registered, defaults filled in. */
export const functionRegistrationSchema = z
  .strictObject({
    name: nameSchema,
    description: descriptionSchema.default(''),
    lang: langSchema.default(''),
    type: typeSchema.default(''),
    capabilities: requestedCapabilitiesSchema,
    runtime: runtimeSpecSchema.meta({ description: 'How a node runs the function' }),
    retry: requestedRetrySchema.optional(),
    priority: taskPrioritySchema.optional().meta({
      description: `Priority of its tasks, 0..9 (9 first), unless a task names its own; default ${DEFAULT_TASK_PRIORITY}`,
      example: 5,
    }),
  })
  .meta({ description: 'A function to register' });
export type FunctionRegistration = z.output<typeof functionRegistrationSchema>;

const unchangeable = new Set(['name', 'lang', 'type']);

/**
 * PATCH /v1/function/:id: the fields to change, each optional; `capabilities` may name only the
 * requirements that change. Name, lang and type are the function's identity: they cannot change.
 */
export const functionChangesSchema = z
  .strictObject(
    {
      description: descriptionSchema.optional(),
      capabilities: z
        .strictObject({
          timeout: timeout.optional(),
          cpuCount: cpuCount.optional(),
          memSize: memSize.optional(),
          networkLatency: networkLatency.optional(),
          privileged: privileged.optional(),
        })
        .optional()
        .meta({ description: 'The requirements that change; those left out stay as they are' }),
      runtime: runtimeSpecSchema.optional().meta({
        description: 'How a node runs the function from this version on (replaced whole)',
      }),
      retry: requestedRetrySchema.nullable().optional().meta({
        description:
          'The retry policy from this version on (replaced whole); null: no answer is retried',
      }),
      priority: taskPrioritySchema
        .nullable()
        .optional()
        .meta({
          description: `Priority of its tasks from this version on, 0..9 (9 first), unless a task names its own; null: the default, ${DEFAULT_TASK_PRIORITY}`,
          example: 7,
        }),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys' && issue.keys.some((key) => unchangeable.has(key))
          ? 'cannot be changed; register another function'
          : undefined,
    },
  )
  .meta({ description: 'What changes; fields left out stay as they are' });
export type FunctionChangesBody = z.output<typeof functionChangesSchema>;

/** GET /v1/function/:id?version=N. */
export const MAX_FUNCTION_VERSION = 2_147_483_647;

export const registeredFunctionSchema = z.object({
  id: functionIdSchema.meta({
    description: 'The new function',
    example: '6404b3da46551827c611ffe5',
  }),
});

export const functionJsonSchema = z.object({
  id: functionIdSchema,
  name: z.string(),
  description: z.string(),
  lang: z.string(),
  type: z.string(),
  capabilities: functionCapabilitiesSchema,
  runtime: runtimeSpecSchema,
  retry: retryPolicySchema.nullable().meta({ description: 'null: no answer is retried' }),
  priority: taskPrioritySchema,
  created: unixSecondsSchema,
  version: z.int().min(1).meta({
    description: 'The version shown: 1 when registered, one more for each change',
    example: 1,
  }),
  updated: unixSecondsSchema.meta({ description: 'When this version was made (unix seconds)' }),
});

export const functionListSchema = z.array(functionJsonSchema);

export const functionWithMetricsSchema = functionJsonSchema.extend({
  metrics: functionMetricsSchema,
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type FunctionSchemasMatchTheirTypes = [
  Holds<Same<FunctionRegistration['capabilities'], FunctionCapabilities>>,
  Holds<Same<NonNullable<FunctionRegistration['retry']>, RetryPolicy>>,
  Holds<Same<z.output<typeof functionJsonSchema>, FunctionJson>>,
  Holds<Same<z.output<typeof functionWithMetricsSchema>, FunctionWithMetricsJson>>,
];
