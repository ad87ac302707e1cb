import { nodeEventTypes, parseNodeEvent, type NodeEventType } from '@canopy/contracts';
import type { Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import type { NodeRowUpdate } from '../schema/nodes-table.js';
import { parseRecordedEvent, type Projection } from './projection.js';

const name = 'nodes';

/**
 * Node streams → `api.nodes`. NodeAnnounced / NodeLeft / NodeLost: capabilities, slots and
 * availability. NodeRegistered / NodeDisabled / NodeEnabled / NodeDescribed: the owning account's
 * registration. A node never registered belongs to the platform (account_id NULL). A disabled
 * node is unavailable, even if an announcement is recorded after the disabling (a race the
 * scheduler cannot always win); enabling it makes it available only once it announces again.
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
          unavailable_reason: null,
          last_seen_at: at,
          changed_at: at,
          last_stream_version: version,
        };
        await trx
          .insertInto('api.nodes')
          .values({
            node_id: nodeId,
            account_id: null,
            created_at: at,
            available: true,
            ...announced,
          })
          .onConflict((conflict) =>
            conflict
              .column('node_id')
              .doUpdateSet((update) => ({
                ...announced,
                available: update.not(update.ref('api.nodes.disabled')),
                updated_at: update.fn('now', []),
              }))
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
      case 'NodeRegistered': {
        const { nodeId, accountId, hash, description, userPublicKey, at } = event.data;
        const registration = {
          account_id: accountId,
          hash,
          description,
          user_public_key: userPublicKey,
          registered_at: at,
          last_stream_version: version,
        };
        // Usually the stream's first event; a node the scheduler saw before keeps its presence.
        await trx
          .insertInto('api.nodes')
          .values({ node_id: nodeId, created_at: at, ...registration })
          .onConflict((conflict) =>
            conflict
              .column('node_id')
              .doUpdateSet((update) => ({
                ...registration,
                created_at: at,
                updated_at: update.fn('now', []),
              }))
              .where('api.nodes.last_stream_version', '<', String(version))
              .where('api.nodes.account_id', 'is', null),
          )
          .execute();
        return;
      }
      case 'NodeDisabled':
        await updateNode(trx, event.data.nodeId, version, { disabled: true, available: false });
        return;
      case 'NodeEnabled':
        await updateNode(trx, event.data.nodeId, version, { disabled: false });
        return;
      case 'NodeDescribed':
        await updateNode(trx, event.data.nodeId, version, {
          description: event.data.description,
        });
        return;
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
