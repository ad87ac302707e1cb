import { nodeEvent } from '@canopy/contracts';
import type { NodeCapabilities, NodeEvent } from '@canopy/contracts';
import { sameCapabilities } from '../matching/node-matcher.js';

// What the scheduler records in a node's stream `node-<nodeId>`. Heartbeats are not recorded; the
// stream says when the node joined (or came back, or changed), left, or was lost. Each function
// returns the events to append given the stream so far, and nothing when they would repeat the last.

export interface AnnouncedNode {
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
  readonly agent: string;
}

// The stream also holds the owner's registration changes. Only the last presence event says whether
// the node is there; disabling the node ends its presence like leaving does.
function lastPresence(history: readonly NodeEvent[]): NodeEvent | undefined {
  return history.findLast((event) =>
    ['NodeAnnounced', 'NodeLeft', 'NodeLost', 'NodeDisabled'].includes(event.type),
  );
}

/** NodeAnnounced when the node is new, comes back after leaving, being lost or disabled, or changed. */
export function nodeEventsOnAnnounce(
  history: readonly NodeEvent[],
  node: AnnouncedNode,
  at: string,
): NodeEvent[] {
  const last = lastPresence(history);
  const announced = nodeEvent('NodeAnnounced', {
    nodeId: node.nodeId,
    capabilities: { ...node.capabilities },
    slots: node.slots,
    agent: node.agent,
    at,
  });
  if (last?.type !== 'NodeAnnounced') return [announced];
  const before = last.data;
  const unchanged =
    before.slots === node.slots &&
    before.agent === node.agent &&
    sameCapabilities(before.capabilities, node.capabilities);
  return unchanged ? [] : [announced];
}

/** NodeLeft, unless the node is not there to leave (never announced, already left or lost). */
export function nodeEventsOnLeave(
  history: readonly NodeEvent[],
  nodeId: string,
  at: string,
): NodeEvent[] {
  if (lastPresence(history)?.type !== 'NodeAnnounced') return [];
  return [nodeEvent('NodeLeft', { nodeId, at })];
}

/**
 * NodeLost, unless the node is not there to lose. `lastSeenAt` is null for a node this scheduler
 * never heard from (it held tasks rebuilt after a restart): its last announcement is the last sign
 * of it that anyone recorded.
 */
export function nodeEventsOnLoss(
  history: readonly NodeEvent[],
  nodeId: string,
  lastSeenAt: string | null,
  at: string,
): NodeEvent[] {
  const last = lastPresence(history);
  if (last?.type !== 'NodeAnnounced') return [];
  return [nodeEvent('NodeLost', { nodeId, lastSeenAt: lastSeenAt ?? last.data.at, at })];
}
