import { parseNodeEvent } from '@canopy/contracts';
import type { NodeEvent } from '@canopy/contracts';
import { asContractEvent } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import type { ServiceLogger } from '@canopy/service-runtime';
import { StreamFollower } from '../transport/stream-follower.js';

/** What the scheduler knows of one registered node: its key and whether its owner disabled it. */
interface RegisteredNode {
  readonly userPublicKey: string;
  /** Unix seconds of the disabling; null while enabled. */
  disabledAt: number | null;
}

/**
 * The owners' decisions about their nodes, folded from the node streams: which nodes are disabled,
 * and the public keys whose credentials must be revoked. Platform nodes (never registered) are
 * never disabled.
 */
export class DisabledNodes {
  private readonly nodes = new Map<string, RegisteredNode>();

  has(nodeId: string): boolean {
    return (this.nodes.get(nodeId)?.disabledAt ?? null) !== null;
  }

  /** Every disabled node's user public key, with the unix second it was disabled. */
  revocations(): Map<string, number> {
    const revoked = new Map<string, number>();
    for (const node of this.nodes.values())
      if (node.disabledAt !== null) revoked.set(node.userPublicKey, node.disabledAt);
    return revoked;
  }

  /** Applies one event; says whether the node was disabled or enabled by it. */
  apply(event: NodeEvent): 'disabled' | 'enabled' | undefined {
    switch (event.type) {
      case 'NodeRegistered':
        if (!this.nodes.has(event.data.nodeId))
          this.nodes.set(event.data.nodeId, {
            userPublicKey: event.data.userPublicKey,
            disabledAt: null,
          });
        return undefined;
      case 'NodeDisabled': {
        const node = this.nodes.get(event.data.nodeId);
        if (node === undefined || node.disabledAt !== null) return undefined;
        node.disabledAt = Math.floor(Date.parse(event.data.at) / 1000);
        return 'disabled';
      }
      case 'NodeEnabled': {
        const node = this.nodes.get(event.data.nodeId);
        if (node === undefined || node.disabledAt === null) return undefined;
        node.disabledAt = null;
        return 'enabled';
      }
      case 'NodeAnnounced':
      case 'NodeLeft':
      case 'NodeLost':
      case 'NodeDescribed':
        return undefined;
      default:
        return unknownEvent(event);
    }
  }
}

export interface NodeRegistrationFeedOptions {
  readonly store: EventStore;
  readonly disabledNodes: DisabledNodes;
  readonly logger: ServiceLogger;
  /** The node was disabled: it must get no more work, and lose what it runs. */
  readonly onDisabled: (nodeId: string) => void;
  readonly onEnabled: (nodeId: string) => void;
  /** The set of revoked keys changed, or the feed caught up (called once then, whatever the set). */
  readonly onRevocationsChanged: (revoked: Map<string, number>) => void;
  /** Each time a resync has caught up (see StreamFollower). */
  readonly onCurrent?: () => void;
  readonly retryMs: number;
}

/**
 * Follows every `node-` stream from the beginning, then live: how the scheduler learns that an
 * owner disabled or enabled a node, through whichever gateway, and rebuilds that after a restart.
 */
export class NodeRegistrationFeed extends StreamFollower {
  constructor(options: NodeRegistrationFeedOptions) {
    const { disabledNodes, logger } = options;
    let revocationsChanged = false;
    super({
      store: options.store,
      streamPrefix: 'node-',
      kind: 'node',
      logger,
      apply: (recorded) => {
        const event = parseNodeEvent(asContractEvent(recorded));
        const change = disabledNodes.apply(event);
        if (change === undefined) return;
        revocationsChanged = true;
        if (change === 'disabled') options.onDisabled(event.data.nodeId);
        else options.onEnabled(event.data.nodeId);
      },
      // Before catching up, the set is published once, complete, when the feed has caught up.
      afterBatch: () => {
        if (revocationsChanged && this.caughtUp)
          options.onRevocationsChanged(disabledNodes.revocations());
        revocationsChanged = false;
      },
      onCaughtUp: () => {
        const revoked = disabledNodes.revocations();
        logger.info(
          { disabledNodes: revoked.size },
          'node registrations rebuilt from the event store',
        );
        options.onRevocationsChanged(revoked);
      },
      onCurrent: options.onCurrent,
      retryMs: options.retryMs,
    });
  }
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled node event ${JSON.stringify(event)}`);
}
