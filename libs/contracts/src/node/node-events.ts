import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { nodeIdSchema, utcTimeSchema } from '../identifiers.js';
import { nodeCapabilitiesSchema } from '../nats/node-messages.js';
import { contractMetadataSchema, currentMetadata } from '../task/task-payloads.js';

// Stream `node-<nodeId>`, written by the scheduler: when a node joins (or comes back with other
// capabilities), leaves, or is declared lost. Heartbeats are not events: they change nothing that
// needs remembering, and a fleet's heartbeats would swamp the store.

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

export const nodeEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('NodeAnnounced'),
    data: nodeAnnouncedDataSchema,
    metadata: contractMetadataSchema,
  }),
  z.object({
    type: z.literal('NodeLeft'),
    data: nodeLeftDataSchema,
    metadata: contractMetadataSchema,
  }),
  z.object({
    type: z.literal('NodeLost'),
    data: nodeLostDataSchema,
    metadata: contractMetadataSchema,
  }),
]);
export type NodeEvent = z.infer<typeof nodeEventSchema>;
export type NodeEventType = NodeEvent['type'];
export type NodeAnnounced = Extract<NodeEvent, { type: 'NodeAnnounced' }>;
export type NodeLeft = Extract<NodeEvent, { type: 'NodeLeft' }>;
export type NodeLost = Extract<NodeEvent, { type: 'NodeLost' }>;

export const nodeEventTypes = [
  'NodeAnnounced',
  'NodeLeft',
  'NodeLost',
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
