import {
  nodeEventTypes,
  parseNodeEvent,
  type NodeEvent,
  type NodeEventType,
} from '@canopy/contracts';
import { sql } from 'kysely';
import type { NodeUnavailableReason } from '../schema/nodes-table.js';
import type { Projection } from './projection.js';
import { rowPerStreamProjection } from './row-per-stream.js';
import type { RowSetColumns } from './unnest-rows.js';

/** The columns of `api.nodes` this projection writes. */
interface NodeRowSet {
  readonly node_id: string;
  readonly account_id: string | null;
  readonly hash: string | null;
  readonly description: string | null;
  readonly user_public_key: string | null;
  readonly disabled: boolean;
  readonly registered_at: Date | string | null;
  readonly cpu_count: number | null;
  readonly mem_size: number | null;
  readonly network_latency: number | null;
  readonly privileged: boolean | null;
  readonly slots: number | null;
  readonly available: boolean;
  readonly unavailable_reason: NodeUnavailableReason | null;
  readonly agent: string | null;
  readonly last_seen_at: Date | string | null;
  readonly changed_at: Date | string | null;
  readonly created_at: Date | string;
  readonly last_stream_version: number;
}

const nodeColumns: RowSetColumns<NodeRowSet> = {
  node_id: 'text',
  account_id: 'text',
  hash: 'text',
  description: 'text',
  user_public_key: 'text',
  disabled: 'bool',
  registered_at: 'timestamptz',
  cpu_count: 'int4',
  mem_size: 'int4',
  network_latency: 'int4',
  privileged: 'bool',
  slots: 'int4',
  available: 'bool',
  unavailable_reason: 'text',
  agent: 'text',
  last_seen_at: 'timestamptz',
  changed_at: 'timestamptz',
  created_at: 'timestamptz',
  last_stream_version: 'int8',
};

/**
 * Node streams → `api.nodes`. NodeAnnounced / NodeLeft / NodeLost: capabilities, slots and
 * availability. NodeRegistered / NodeDisabled / NodeEnabled / NodeDescribed: the owning account's
 * registration. A node never registered belongs to the platform (account_id NULL). A disabled
 * node is unavailable, even if an announcement is recorded after the disabling (a race the
 * scheduler cannot always win); enabling it makes it available only once it announces again.
 *
 * One row per node (row-per-stream.ts). `running_tasks` belongs to the tasks projection and is never
 * written.
 */
export const nodesProjection: Projection<NodeEventType> = rowPerStreamProjection({
  name: 'nodes',
  handles: nodeEventTypes,
  parse: parseNodeEvent,
  keyOf: (event: NodeEvent) => event.data.nodeId,
  rows: {
    table: 'api.nodes',
    key: 'node_id',
    keyType: 'text',
    columns: nodeColumns,
    // The row leaves updated_at to the table: the time of the write.
    alsoOnUpdate: { updated_at: sql`now()` },
  },
  evolve: evolveNodeRow,
});

/**
 * The row after `event` (at `version`), or `row` itself when the event changes nothing: an update
 * of a node without a row, or a registration of a node another account already holds.
 */
function evolveNodeRow(
  row: NodeRowSet | undefined,
  event: NodeEvent,
  version: number,
): NodeRowSet | undefined {
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
      if (row === undefined) {
        return {
          ...unregisteredNode(nodeId, at),
          ...announced,
          available: true,
        };
      }
      return { ...row, ...announced, available: !row.disabled };
    }
    case 'NodeLeft': {
      if (row === undefined) return row;
      const { at } = event.data;
      return {
        ...row,
        available: false,
        unavailable_reason: 'LEFT',
        last_seen_at: at,
        changed_at: at,
        last_stream_version: version,
      };
    }
    case 'NodeLost': {
      if (row === undefined) return row;
      const { lastSeenAt, at } = event.data;
      return {
        ...row,
        available: false,
        unavailable_reason: 'LOST',
        last_seen_at: lastSeenAt,
        changed_at: at,
        last_stream_version: version,
      };
    }
    case 'NodeRegistered': {
      const { nodeId, accountId, hash, description, userPublicKey, at } = event.data;
      // Usually the stream's first event; a node the scheduler saw before keeps its presence.
      if (row !== undefined && row.account_id !== null) return row;
      return {
        ...(row ?? unregisteredNode(nodeId, at)),
        account_id: accountId,
        hash,
        description,
        user_public_key: userPublicKey,
        registered_at: at,
        created_at: at,
        last_stream_version: version,
      };
    }
    case 'NodeDisabled':
      if (row === undefined) return row;
      return { ...row, disabled: true, available: false, last_stream_version: version };
    case 'NodeEnabled':
      if (row === undefined) return row;
      return { ...row, disabled: false, last_stream_version: version };
    case 'NodeDescribed':
      if (row === undefined) return row;
      return { ...row, description: event.data.description, last_stream_version: version };
    default:
      return unknownEvent(event);
  }
}

/** A node's row before any event of its stream: a platform node nobody has seen. */
function unregisteredNode(nodeId: string, createdAt: string): NodeRowSet {
  return {
    node_id: nodeId,
    account_id: null,
    hash: null,
    description: null,
    user_public_key: null,
    disabled: false,
    registered_at: null,
    cpu_count: null,
    mem_size: null,
    network_latency: null,
    privileged: null,
    slots: null,
    available: false,
    unavailable_reason: null,
    agent: null,
    last_seen_at: null,
    changed_at: null,
    created_at: createdAt,
    last_stream_version: 0,
  };
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled node event ${JSON.stringify(event)}`);
}
