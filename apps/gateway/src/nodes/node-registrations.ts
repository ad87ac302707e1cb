import { nodeStreamId } from '@canopy/contracts';
import { registeredNodeId } from '@canopy/node-domain';
import { countRunningTasks, encodeKeysetCursor, listNodes } from '@canopy/read-models';
import type { KeysetKey, NodeDetail, ReadModelDatabase } from '@canopy/read-models';
import type { Kysely } from 'kysely';
import type { Aggregates } from '../events/aggregates.js';
import { ApiError } from '../http/api-error.js';
import { unixSeconds } from '../tasks/task-json.js';
import type { NodeCredentialsIssuer } from './node-credentials.js';

// An account's nodes. The node stream `node-<nodeId>` is shared with the scheduler, which records
// the node's presence there; the owner's commands go through the node decider like the scheduler's
// (a conflict with its writes is caught up and decided again). The list reads the read model.

/** A node as the API shows it (list items, PATCH): as the read model has it, times as unix seconds. */
export interface NodeJson extends Omit<NodeDetail, 'lastSeenAt' | 'registeredAt'> {
  readonly lastSeenAt: string | null;
  readonly registeredAt: string;
}

export interface RegisteredNodeJson {
  readonly hash: string;
  readonly nodeId: string;
  readonly description: string;
  /** The `.creds` text: shown once, never stored. */
  readonly credentials: string;
}

export class NodeRegistrations {
  constructor(
    private readonly db: Kysely<ReadModelDatabase>,
    private readonly nodes: Aggregates['nodes'],
    private readonly credentials: NodeCredentialsIssuer | null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async register(
    accountId: string,
    hash: string,
    description: string,
  ): Promise<RegisteredNodeJson> {
    if (this.credentials === null) {
      throw new ApiError(
        503,
        'NODE_REGISTRATION_UNAVAILABLE',
        'this gateway cannot issue node credentials (no NATS authority is configured), so it cannot register nodes',
      );
    }
    const nodeId = registeredNodeId(accountId, hash);
    // Checked before credentials are made: a refused registration must not mint any.
    const streamId = nodeStreamId(nodeId);
    if ((await this.nodes.current(streamId)).state.phase === 'Registered') {
      throw alreadyRegistered(hash);
    }
    const issued = await this.credentials.issue(nodeId);
    await this.nodes.handle(streamId, {
      type: 'RegisterNode',
      data: {
        nodeId,
        accountId,
        hash,
        description,
        userPublicKey: issued.publicKey,
        now: this.now().toISOString(),
      },
    });
    return { hash, nodeId, description, credentials: issued.creds };
  }

  async list(
    accountId: string,
    page: { readonly limit: number; readonly after: KeysetKey | null },
  ): Promise<{ readonly entries: NodeJson[]; readonly nextCursor: string | null }> {
    const { items, next } = await listNodes(this.db, accountId, page);
    return {
      entries: items.map(nodeJsonFromReadModel),
      nextCursor: next === null ? null : encodeKeysetCursor(next),
    };
  }

  /** Disables the node (idempotent). */
  async disable(accountId: string, hash: string): Promise<void> {
    const nodeId = registeredNodeId(accountId, hash);
    await this.nodes.handle(nodeStreamId(nodeId), {
      type: 'DisableNode',
      data: { nodeId, accountId, now: this.now().toISOString() },
    });
  }

  /** Enables the node (idempotent) and changes its description when one is given. */
  async restore(accountId: string, hash: string, description?: string): Promise<NodeJson> {
    const nodeId = registeredNodeId(accountId, hash);
    const now = this.now().toISOString();
    const { after: state } = await this.nodes.handle(nodeStreamId(nodeId), [
      { type: 'EnableNode', data: { nodeId, accountId, now } },
      ...(description === undefined
        ? []
        : [{ type: 'DescribeNode' as const, data: { nodeId, accountId, description, now } }]),
    ]);
    // The answer comes from the stream just written, not from the read model that may lag.
    if (state.phase !== 'Registered') throw new Error(`node ${nodeId} is not registered`);
    const { registration, presence } = state;
    return {
      hash: registration.hash,
      nodeId,
      description: registration.description,
      available: presence.available,
      disabled: state.disabledAt !== null,
      capabilities: presence.capabilities === null ? null : { ...presence.capabilities },
      slots: presence.slots,
      runningTasks: await countRunningTasks(this.db, nodeId),
      lastSeenAt: presence.lastSeenAt === null ? null : unixSeconds(presence.lastSeenAt),
      registeredAt: unixSeconds(registration.registeredAt),
    };
  }
}

function alreadyRegistered(hash: string): ApiError {
  return new ApiError(
    409,
    'NODE_ALREADY_REGISTERED',
    `the account has a node ${hash} already; delete and restore it, or register another hash`,
    { field: 'hash' },
  );
}

function nodeJsonFromReadModel(detail: NodeDetail): NodeJson {
  return {
    hash: detail.hash,
    nodeId: detail.nodeId,
    description: detail.description,
    available: detail.available,
    disabled: detail.disabled,
    capabilities: detail.capabilities === null ? null : { ...detail.capabilities },
    slots: detail.slots,
    runningTasks: detail.runningTasks,
    lastSeenAt: detail.lastSeenAt === null ? null : unixSeconds(detail.lastSeenAt),
    registeredAt: unixSeconds(detail.registeredAt),
  };
}
