import { functionCapabilitiesSchema, functionIdSchema, runtimeSpecSchema } from '@canopy/contracts';
import { z } from 'zod';
import { functionMetricsSchema } from '../metrics/metrics-schemas.js';
import { unixSecondsSchema } from '../openapi/api-description.js';
import type { FunctionJson, FunctionWithMetricsJson } from './function-catalog.js';

// The function API's bodies as zod schemas, for the OpenAPI document. The types below fail to
// compile when a response schema and the type the controller returns drift apart.

const nameSchema = z.string().trim().min(1).max(200).meta({ example: 'echo' });
const descriptionSchema = z.string().max(2000).meta({ example: 'Answers with what it was sent' });
const langSchema = z.string().max(50).meta({ example: 'sh' });
const typeSchema = z.string().max(50).meta({ example: 'process' });

export const functionRegistrationSchema = z
  .strictObject({
    name: nameSchema,
    description: descriptionSchema.optional(),
    lang: langSchema.optional(),
    type: typeSchema.optional(),
    capabilities: functionCapabilitiesSchema.partial().required({ timeout: true }).meta({
      description:
        'timeout (seconds) is required; cpuCount, memSize (MiB), networkLatency (ms) and privileged default to no requirement',
    }),
    runtime: runtimeSpecSchema.meta({ description: 'How a node runs the function' }),
  })
  .meta({ description: 'A function to register' });

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
  created: unixSecondsSchema,
});

export const functionListSchema = z.array(functionJsonSchema);

export const functionWithMetricsSchema = functionJsonSchema.extend({
  metrics: functionMetricsSchema,
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type FunctionSchemasMatchTheirTypes = [
  Holds<Same<z.output<typeof functionJsonSchema>, FunctionJson>>,
  Holds<Same<z.output<typeof functionWithMetricsSchema>, FunctionWithMetricsJson>>,
];
