import { nodeStreamId } from '@canopy/contracts';
import type { NodeCapabilities, NodeEvent } from '@canopy/contracts';
import { CommandHandler } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import { nodeAggregate } from '@canopy/node-domain';
import type { NodeCommand, NodeState } from '@canopy/node-domain';

/** What a node told the scheduler about itself when it announced. */
export interface AnnouncedNode {
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
  readonly agent: string;
}

/**
 * Records a node's presence in its stream `node-<nodeId>` through the node decider, which says what
 * is new (a repeated announcement, a goodbye from a node already gone... record nothing). Each method
 * says whether something was appended.
 */
export class NodePresenceRecorder {
  private readonly handler: CommandHandler<NodeCommand, NodeEvent, NodeState>;

  constructor(store: EventStore) {
    this.handler = new CommandHandler({ store, ...nodeAggregate });
  }

  announced(node: AnnouncedNode, now: string): Promise<boolean> {
    return this.record(node.nodeId, { type: 'AnnounceNode', data: { ...node, now } });
  }

  left(nodeId: string, now: string): Promise<boolean> {
    return this.record(nodeId, { type: 'LeaveNode', data: { nodeId, now } });
  }

  lost(nodeId: string, lastSeenAt: string | null, now: string): Promise<boolean> {
    return this.record(nodeId, { type: 'LoseNode', data: { nodeId, lastSeenAt, now } });
  }

  private async record(nodeId: string, command: NodeCommand): Promise<boolean> {
    const decision = await this.handler.handle(nodeStreamId(nodeId), command);
    return decision.events.length > 0;
  }
}
