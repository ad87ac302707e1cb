import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { accountIdSchema, nodeIdSchema, utcTimeSchema } from '../identifiers.js';
import { nodeCapabilitiesSchema } from '../nats/node-messages.js';
import { contractSchema, currentMetadata } from '../task/task-payloads.js';

// Stream `node-<nodeId>`. The scheduler writes when a node joins (or comes back with other
// capabilities), leaves, or is declared lost. Heartbeats are not events: they change nothing that
// needs remembering, and a fleet's heartbeats would swamp the store. The gateway writes an account's
// registration of the node and its owner's later changes (disable, enable, describe).

/**
 * The name an account gives its node in the API (`/v1/node/:hash`): 1 to 64 of `A-Z a-z 0-9 _ -`.
 * Unique per account only; the node id is derived from the account and the hash.
 */
export const nodeHashSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"');

export const NODE_DESCRIPTION_MAX_LENGTH = 500;
export const nodeDescriptionSchema = z.string().max(NODE_DESCRIPTION_MAX_LENGTH);

/** An nkey user public key: 56 base32 characters starting with `U`. Not a secret. */
export const nodeUserPublicKeySchema = z
  .string()
  .regex(/^U[A-Z2-7]{55}$/, 'must be an nkey user public key (56 characters starting with U)');

export const nodeAnnouncedDataSchema = z.object({
  nodeId: nodeIdSchema,
  capabilities: nodeCapabilitiesSchema,
  slots: z.int().min(1),
  agent: z.string().max(200),
  at: utcTimeSchema,
});

export const nodeLeftDataSchema = z.object({ nodeId: nodeIdSchema, at: utcTimeSchema });

export const nodeLostDataSchema = z.object({
  nodeId: nodeIdSchema,
  /** When the last heartbeat arrived. */
  lastSeenAt: utcTimeSchema,
  at: utcTimeSchema,
});

export const nodeRegisteredDataSchema = z.object({
  nodeId: nodeIdSchema,
  accountId: accountIdSchema,
  hash: nodeHashSchema,
  description: nodeDescriptionSchema,
  /** The public half of the credentials handed out once at registration. */
  userPublicKey: nodeUserPublicKeySchema,
  at: utcTimeSchema,
});

/** Disabled and Enabled carry the owner so a reader never needs the registration to check it. */
export const nodeOwnerChangeDataSchema = z.object({
  nodeId: nodeIdSchema,
  accountId: accountIdSchema,
  at: utcTimeSchema,
});

export const nodeDescribedDataSchema = z.object({
  nodeId: nodeIdSchema,
  accountId: accountIdSchema,
  description: nodeDescriptionSchema,
  at: utcTimeSchema,
});

export const nodeEventSchema = z.discriminatedUnion('type', [
  contractSchema('NodeAnnounced', nodeAnnouncedDataSchema),
  contractSchema('NodeLeft', nodeLeftDataSchema),
  contractSchema('NodeLost', nodeLostDataSchema),
  contractSchema('NodeRegistered', nodeRegisteredDataSchema),
  contractSchema('NodeDisabled', nodeOwnerChangeDataSchema),
  contractSchema('NodeEnabled', nodeOwnerChangeDataSchema),
  contractSchema('NodeDescribed', nodeDescribedDataSchema),
]);
export type NodeEvent = z.infer<typeof nodeEventSchema>;
export type NodeEventType = NodeEvent['type'];
export type NodeAnnounced = Extract<NodeEvent, { type: 'NodeAnnounced' }>;
export type NodeLeft = Extract<NodeEvent, { type: 'NodeLeft' }>;
export type NodeLost = Extract<NodeEvent, { type: 'NodeLost' }>;
export type NodeRegistered = Extract<NodeEvent, { type: 'NodeRegistered' }>;
export type NodeDisabled = Extract<NodeEvent, { type: 'NodeDisabled' }>;
export type NodeEnabled = Extract<NodeEvent, { type: 'NodeEnabled' }>;
export type NodeDescribed = Extract<NodeEvent, { type: 'NodeDescribed' }>;

export const nodeEventTypes = [
  'NodeAnnounced',
  'NodeLeft',
  'NodeLost',
  'NodeRegistered',
  'NodeDisabled',
  'NodeEnabled',
  'NodeDescribed',
] as const satisfies readonly NodeEventType[];

export function parseNodeEvent(value: unknown): NodeEvent {
  return parseContract(nodeEventSchema, 'node event', value);
}

export function nodeEvent<T extends NodeEventType>(
  type: T,
  data: Extract<NodeEvent, { type: T }>['data'],
): Extract<NodeEvent, { type: T }> {
  return { type, data, metadata: currentMetadata() } as Extract<NodeEvent, { type: T }>;
}

/** Stream of one node. */
export function nodeStreamId(nodeId: string): string {
  return `node-${nodeId}`;
}
