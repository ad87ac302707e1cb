import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Defaulted, DefaultedTimestamp, NullableTimestamp } from './column-types.js';

export const nodeStatuses = ['online', 'offline'] as const;
export type NodeStatus = (typeof nodeStatuses)[number];

/** `api.nodes`: worker nodes and what they offer. */
export interface NodesTable {
  node_id: string;
  account_id: string;
  name: string | null;
  cpu_count: number;
  /** MiB. */
  mem_size: number;
  /** Milliseconds, as measured for the node. */
  network_latency: number;
  privileged: boolean;
  /** How many tasks the node runs at once. */
  slots: number;
  status: Defaulted<NodeStatus>;
  last_seen_at: NullableTimestamp;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type NodeRow = Selectable<NodesTable>;
export type NewNodeRow = Insertable<NodesTable>;
export type NodeRowUpdate = Updateable<NodesTable>;
