import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Defaulted, DefaultedTimestamp, Int8, NullableTimestamp } from './column-types.js';

export const nodeUnavailableReasons = ['LEFT', 'LOST'] as const;
/** LEFT: the node said goodbye; LOST: the scheduler stopped hearing its heartbeats. */
export type NodeUnavailableReason = (typeof nodeUnavailableReasons)[number];

/** `api.nodes`: worker nodes, what they offer and whether they are available (the node streams' fold). */
export interface NodesTable {
  node_id: string;
  /** NULL: the node belongs to the platform (every node does for now). */
  account_id: string | null;
  name: string | null;
  cpu_count: number;
  /** MiB. */
  mem_size: number;
  /** Milliseconds, as measured for the node. */
  network_latency: number;
  privileged: boolean;
  /** How many tasks the node runs at once. */
  slots: number;
  /** True from NodeAnnounced until NodeLeft or NodeLost. */
  available: Defaulted<boolean>;
  /** Why the node is unavailable; NULL while available. */
  unavailable_reason: NodeUnavailableReason | null;
  /** Name and version of the node software, e.g. `canopy-node-agent/0.1.0`. */
  agent: string | null;
  /** When the node was last heard from. */
  last_seen_at: NullableTimestamp;
  /** Time of the node's last announcement, departure or loss. */
  changed_at: NullableTimestamp;
  /** When the node first announced itself. */
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  /** Version of the node's stream this row reflects. */
  last_stream_version: Int8;
}

export type NodeRow = Selectable<NodesTable>;
export type NewNodeRow = Insertable<NodesTable>;
export type NodeRowUpdate = Updateable<NodesTable>;
