import {
  NODE_DESCRIPTION_MAX_LENGTH,
  nodeCapabilitiesSchema,
  nodeHashSchema,
  nodeIdSchema,
} from '@canopy/contracts';
import { z } from 'zod';
import { unixSecondsSchema } from '../openapi/api-description.js';
import type { NodeJson, RegisteredNodeJson } from './node-registrations.js';

// The node API's bodies as zod schemas: the request body the controller parses, and what the
// OpenAPI document says the responses are. The types below fail to compile
// when a schema and the type the controller returns drift apart.

const hashSchema = nodeHashSchema.meta({
  description: "The account's name for the node, unique in the account",
  example: 'rack-7',
});
const registeredNodeIdSchema = nodeIdSchema.meta({
  description:
    'The node\'s identity on NATS: the first 24 hex characters of sha256("<accountId>:<hash>")',
  example: '3f0c9a51d2b7e84a6c1d0e92',
});
const descriptionSchema = z
  .string()
  .max(NODE_DESCRIPTION_MAX_LENGTH)
  .meta({
    description: `Free text, at most ${NODE_DESCRIPTION_MAX_LENGTH} characters`,
    example: 'GPU box',
  });

/** POST and PATCH bodies: `description` is the only field; an empty body is `{}`. */
export const nodeBodySchema = z.strictObject({ description: descriptionSchema.optional() });
export type NodeBody = z.output<typeof nodeBodySchema>;

export const registeredNodeSchema = z.object({
  hash: hashSchema,
  nodeId: registeredNodeIdSchema,
  description: descriptionSchema,
  credentials: z.string().meta({
    description:
      'The text of a NATS `.creds` file for this node only. Shown this once: only its public key is stored',
  }),
});

export const nodeJsonSchema = z.object({
  hash: hashSchema,
  nodeId: registeredNodeIdSchema,
  description: descriptionSchema,
  available: z.boolean().meta({ description: 'Announced and connected, and not disabled' }),
  disabled: z.boolean().meta({ description: 'Disabled by DELETE until restored by PATCH' }),
  capabilities: nodeCapabilitiesSchema.nullable().meta({
    description:
      'As last announced: cpuCount, memSize (MiB), networkLatency (ms), privileged; null before the first announcement',
  }),
  slots: z.int().min(1).nullable().meta({
    description: 'Tasks it runs at once; null before the first announcement',
    example: 4,
  }),
  runningTasks: z.int().min(0).meta({ description: 'Tasks assigned to it now', example: 1 }),
  lastSeenAt: unixSecondsSchema.nullable().meta({
    description:
      'Its last announcement or departure, or the last heartbeat before it was lost; null if never seen',
  }),
  registeredAt: unixSecondsSchema,
});

export const nodeListSchema = z.array(nodeJsonSchema);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type NodeSchemasMatchTheirTypes = [
  Holds<Same<z.output<typeof nodeJsonSchema>, NodeJson>>,
  Holds<Same<z.output<typeof registeredNodeSchema>, RegisteredNodeJson>>,
];
