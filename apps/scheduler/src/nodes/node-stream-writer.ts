import { nodeStreamId, parseNodeEvent } from '@canopy/contracts';
import type { NodeEvent } from '@canopy/contracts';
import {
  EventIdConflictError,
  ExpectedVersionConflictError,
  readContractStream,
  toNewEvents,
} from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import { nodeEventsOnAnnounce, nodeEventsOnLeave, nodeEventsOnLoss } from '@canopy/scheduling';
import type { AnnouncedNode } from '@canopy/scheduling';

const MAX_ROUNDS = 5;

/** Records a node's life in its stream `node-<nodeId>`: read, decide what is new, append at that version. */
export class NodeStreamWriter {
  constructor(private readonly store: EventStore) {}

  /** True when something was appended. */
  announced(node: AnnouncedNode, at: string): Promise<boolean> {
    return this.record(node.nodeId, (history) => nodeEventsOnAnnounce(history, node, at));
  }

  left(nodeId: string, at: string): Promise<boolean> {
    return this.record(nodeId, (history) => nodeEventsOnLeave(history, nodeId, at));
  }

  lost(nodeId: string, lastSeenAt: string | null, at: string): Promise<boolean> {
    return this.record(nodeId, (history) => nodeEventsOnLoss(history, nodeId, lastSeenAt, at));
  }

  private async record(
    nodeId: string,
    decide: (history: readonly NodeEvent[]) => NodeEvent[],
  ): Promise<boolean> {
    const streamId = nodeStreamId(nodeId);
    for (let round = 1; ; round += 1) {
      const { events: history, version } = await readContractStream(
        this.store,
        streamId,
        parseNodeEvent,
      );
      const events = decide(history);
      if (events.length === 0) return false;
      try {
        await this.store.appendToStream(streamId, toNewEvents(streamId, version, events), {
          expectedVersion: version === 0 ? 'no_stream' : version,
        });
        return true;
      } catch (error) {
        const conflict =
          error instanceof ExpectedVersionConflictError || error instanceof EventIdConflictError;
        if (!conflict || round >= MAX_ROUNDS) throw error;
      }
    }
  }
}
