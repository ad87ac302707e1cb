import { nodeStreamId, parseNodeEvent } from '@canopy/contracts';
import type { NodeEvent } from '@canopy/contracts';
import {
  EventIdConflictError,
  ExpectedVersionConflictError,
  readContractStream,
  toNewEvents,
} from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import { NodeRuleViolation, decide, evolve, foldNode, registeredNodeId } from '@canopy/node-domain';
import type { NodeCommand, NodeState } from '@canopy/node-domain';
import { countRunningTasks, encodeKeysetCursor, listNodes } from '@canopy/read-models';
import type { KeysetKey, NodeDetail, ReadModelDatabase } from '@canopy/read-models';
import type { Kysely } from 'kysely';
import { ApiError } from '../http/api-error.js';
import { unixSeconds } from '../tasks/task-json.js';
import type { NodeCredentialsIssuer } from './node-credentials.js';

// An account's nodes. The node stream `node-<nodeId>` is shared with the scheduler, which records
// the node's presence there; the owner's commands are decided against the whole stream and appended
// at its version, re-read when the scheduler wrote in between. The list reads the read model.

/** A node as the API shows it (list items, PATCH). Times are unix seconds as strings, or null. */
export interface NodeJson {
  readonly hash: string;
  readonly nodeId: string;
  readonly description: string;
  /** Connected and announced (and not disabled). */
  readonly available: boolean;
  readonly disabled: boolean;
  /** Null until the node first announces itself. */
  readonly capabilities: {
    readonly cpuCount: number;
    readonly memSize: number;
    readonly networkLatency: number;
    readonly privileged: boolean;
  } | null;
  readonly slots: number | null;
  readonly runningTasks: number;
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

const MAX_ROUNDS = 5;

export class NodeRegistrations {
  constructor(
    private readonly db: Kysely<ReadModelDatabase>,
    private readonly store: EventStore,
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
    if ((await this.read(nodeId)).state.phase === 'Registered') throw alreadyRegistered(hash);
    const issued = await this.credentials.issue(nodeId);
    await this.decideAndAppend(nodeId, hash, (now) => [
      {
        type: 'RegisterNode',
        data: { nodeId, accountId, hash, description, userPublicKey: issued.publicKey, now },
      },
    ]);
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
    await this.decideAndAppend(nodeId, hash, (now) => [
      { type: 'DisableNode', data: { nodeId, accountId, now } },
    ]);
  }

  /** Enables the node (idempotent) and changes its description when one is given. */
  async restore(accountId: string, hash: string, description?: string): Promise<NodeJson> {
    const nodeId = registeredNodeId(accountId, hash);
    const state = await this.decideAndAppend(nodeId, hash, (now) => [
      { type: 'EnableNode', data: { nodeId, accountId, now } },
      ...(description === undefined
        ? []
        : [{ type: 'DescribeNode' as const, data: { nodeId, accountId, description, now } }]),
    ]);
    // The answer comes from the stream just written, not from the read model that may lag.
    if (state.phase !== 'Registered') throw notFound();
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

  private async read(
    nodeId: string,
  ): Promise<{ events: NodeEvent[]; version: number; state: NodeState }> {
    const { events, version } = await readContractStream(
      this.store,
      nodeStreamId(nodeId),
      parseNodeEvent,
    );
    return { events: [...events], version, state: foldNode(events) };
  }

  /** Decides the commands in turn against the stream and appends what they yield; the new state. */
  private async decideAndAppend(
    nodeId: string,
    hash: string,
    commands: (now: string) => NodeCommand[],
  ): Promise<NodeState> {
    const streamId = nodeStreamId(nodeId);
    for (let round = 1; ; round += 1) {
      const { events: history, version } = await this.read(nodeId);
      const decided: NodeEvent[] = [];
      let state = foldNode(history);
      try {
        for (const command of commands(this.now().toISOString())) {
          const events = decide(command, state);
          state = events.reduce(evolve, state);
          decided.push(...events);
        }
      } catch (error) {
        throw apiErrorOf(error, hash);
      }
      if (decided.length === 0) return state;
      try {
        await this.store.appendToStream(streamId, toNewEvents(streamId, version, decided), {
          expectedVersion: version === 0 ? 'no_stream' : version,
        });
        return state;
      } catch (error) {
        const conflict =
          error instanceof ExpectedVersionConflictError || error instanceof EventIdConflictError;
        if (!conflict || round >= MAX_ROUNDS) throw error;
      }
    }
  }
}

function apiErrorOf(error: unknown, hash: string): unknown {
  if (!(error instanceof NodeRuleViolation)) return error;
  switch (error.code) {
    case 'NODE_ALREADY_REGISTERED':
      return alreadyRegistered(hash);
    case 'NODE_NOT_FOUND':
      return notFound();
    default: {
      const unknown: never = error.code;
      return new Error(`unknown node rule ${String(unknown)}`);
    }
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

function notFound(): ApiError {
  return new ApiError(404, 'NODE_NOT_FOUND', 'the account has no node with this hash', {
    field: 'hash',
  });
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
