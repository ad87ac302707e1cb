import { nodeEventTypes, parseNodeEvent, type NodeEventType } from '@canopy/contracts';
import type { Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import type { NodeRowUpdate } from '../schema/nodes-table.js';
import { parseRecordedEvent, type Projection } from './projection.js';

const name = 'nodes';

/**
 * NodeAnnounced / NodeLeft / NodeLost → `api.nodes`: capabilities, slots and availability. Nodes
 * belong to the platform for now (account_id NULL).
 */
export const nodesProjection: Projection<NodeEventType> = {
  name,
  handles: nodeEventTypes,
  async apply(trx, recorded) {
    const event = parseRecordedEvent(name, recorded, parseNodeEvent);
    const version = recorded.streamVersion;
    switch (event.type) {
      case 'NodeAnnounced': {
        const { nodeId, capabilities, slots, agent, at } = event.data;
        const announced = {
          cpu_count: capabilities.cpuCount,
          mem_size: capabilities.memSize,
          network_latency: capabilities.networkLatency,
          privileged: capabilities.privileged,
          slots,
          agent,
          available: true,
          unavailable_reason: null,
          last_seen_at: at,
          changed_at: at,
          last_stream_version: version,
        };
        await trx
          .insertInto('api.nodes')
          .values({ node_id: nodeId, account_id: null, created_at: at, ...announced })
          .onConflict((conflict) =>
            conflict
              .column('node_id')
              .doUpdateSet((update) => ({ ...announced, updated_at: update.fn('now', []) }))
              .where('api.nodes.last_stream_version', '<', String(version)),
          )
          .execute();
        return;
      }
      case 'NodeLeft': {
        const { nodeId, at } = event.data;
        await updateNode(trx, nodeId, version, {
          available: false,
          unavailable_reason: 'LEFT',
          last_seen_at: at,
          changed_at: at,
        });
        return;
      }
      case 'NodeLost': {
        const { nodeId, lastSeenAt, at } = event.data;
        await updateNode(trx, nodeId, version, {
          available: false,
          unavailable_reason: 'LOST',
          last_seen_at: lastSeenAt,
          changed_at: at,
        });
        return;
      }
      default:
        return unknownEvent(event);
    }
  },
};

async function updateNode(
  trx: Transaction<ReadModelDatabase>,
  nodeId: string,
  version: number,
  change: NodeRowUpdate,
): Promise<void> {
  await trx
    .updateTable('api.nodes')
    .set((update) => ({
      ...change,
      last_stream_version: version,
      updated_at: update.fn('now', []),
    }))
    .where('node_id', '=', nodeId)
    .where('last_stream_version', '<', String(version))
    .execute();
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled node event ${JSON.stringify(event)}`);
}
