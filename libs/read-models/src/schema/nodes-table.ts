import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Defaulted, DefaultedTimestamp, Int8, NullableTimestamp } from './column-types.js';

export const nodeUnavailableReasons = ['LEFT', 'LOST'] as const;
/** LEFT: the node said goodbye; LOST: the scheduler stopped hearing its heartbeats. */
export type NodeUnavailableReason = (typeof nodeUnavailableReasons)[number];

/** `api.nodes`: worker nodes, what they offer and whether they are available (the node streams' fold). */
export interface NodesTable {
  node_id: string;
  /** The account that registered the node; NULL for a platform node (never registered). */
  account_id: string | null;
  name: string | null;
  /** The account's name for the node (`/v1/node/:hash`), unique per account; NULL for platform nodes. */
  hash: string | null;
  description: string | null;
  /** The nkey user public key of the credentials issued at registration (not a secret). */
  user_public_key: string | null;
  /** True from NodeDisabled until NodeEnabled: the node gets no work and its credentials are revoked. */
  disabled: Defaulted<boolean>;
  registered_at: NullableTimestamp;
  /** Capabilities and slots are NULL until the node first announces itself. */
  cpu_count: number | null;
  /** MiB. */
  mem_size: number | null;
  /** Milliseconds, as measured for the node. */
  network_latency: number | null;
  privileged: boolean | null;
  /** How many tasks the node runs at once. */
  slots: number | null;
  /** True from NodeAnnounced until NodeLeft, NodeLost or NodeDisabled (a disabled node's NodeAnnounced leaves it false). */
  available: Defaulted<boolean>;
  /** Why the node is unavailable (LEFT or LOST); NULL while available, and untouched by disabling. */
  unavailable_reason: NodeUnavailableReason | null;
  /** Name and version of the node software, e.g. `canopy-node-agent/0.1.0`. */
  agent: string | null;
  /** When the node was last heard from. */
  last_seen_at: NullableTimestamp;
  /** Time of the node's last announcement, departure or loss. */
  changed_at: NullableTimestamp;
  /** When the node was registered, or first announced itself when it never was. */
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  /** Version of the node's stream this row reflects. */
  last_stream_version: Int8;
  /** Tasks assigned to the node right now; kept by the tasks projection. */
  running_tasks: Defaulted<number>;
}

export type NodeRow = Selectable<NodesTable>;
export type NewNodeRow = Insertable<NodesTable>;
export type NodeRowUpdate = Updateable<NodesTable>;
