import {
  nodeDescribedDataSchema,
  nodeEvent,
  nodeOwnerChangeDataSchema,
  nodeRegisteredDataSchema,
  parseContract,
  parseNodeEvent,
  sameJson,
} from '@canopy/contracts';
import type { Aggregate, NodeCapabilities, NodeEvent } from '@canopy/contracts';
import { NodeRuleViolation } from './node-rule-violation.js';

// The node aggregate, stream `node-<nodeId>`. Two writers share the stream: the account that owns
// the node registers it, disables, enables and describes it, and the scheduler records its presence
// (NodeAnnounced / NodeLeft / NodeLost; heartbeats are not recorded). Both decide here, and the state
// folds both, so one fold answers "whose is it, may it work, is it there".

// ─── Events ──────────────────────────────────────────────────────────────────────────────────────
// NodeEvent is the contract type from @canopy/contracts.

// ─── State ───────────────────────────────────────────────────────────────────────────────────────

/** What the scheduler last recorded about the node being there. */
export interface NodePresence {
  /** Announced, and neither left, lost nor disabled since. */
  readonly available: boolean;
  /** As last announced; null before the first announcement. */
  readonly capabilities: NodeCapabilities | null;
  readonly slots: number | null;
  readonly agent: string | null;
  /** When it was last heard from, as far as the stream knows (heartbeats are not recorded). */
  readonly lastSeenAt: string | null;
}

export interface NodeRegistration {
  readonly nodeId: string;
  readonly accountId: string;
  readonly hash: string;
  readonly description: string;
  readonly userPublicKey: string;
  readonly registeredAt: string;
}

export type NodeState =
  /** Platform nodes (no account) stay here whatever the scheduler records. */
  | { readonly phase: 'NotRegistered'; readonly presence: NodePresence }
  | {
      readonly phase: 'Registered';
      readonly registration: NodeRegistration;
      /** Since when, while disabled; null while enabled. */
      readonly disabledAt: string | null;
      readonly presence: NodePresence;
    };

const absent: NodePresence = {
  available: false,
  capabilities: null,
  slots: null,
  agent: null,
  lastSeenAt: null,
};

export function initialState(): NodeState {
  return { phase: 'NotRegistered', presence: absent };
}

export function isDisabled(state: NodeState): boolean {
  return state.phase === 'Registered' && state.disabledAt !== null;
}

// ─── Evolve ──────────────────────────────────────────────────────────────────────────────────────

export function evolve(state: NodeState, event: NodeEvent): NodeState {
  switch (event.type) {
    case 'NodeAnnounced': {
      const { capabilities, slots, agent, at } = event.data;
      // A disabled node's announcement is refused; one recorded in a race with the disabling
      // still does not make the node available.
      const available = !isDisabled(state);
      return { ...state, presence: { available, capabilities, slots, agent, lastSeenAt: at } };
    }
    case 'NodeLeft':
      return {
        ...state,
        presence: { ...state.presence, available: false, lastSeenAt: event.data.at },
      };
    case 'NodeLost':
      return {
        ...state,
        presence: { ...state.presence, available: false, lastSeenAt: event.data.lastSeenAt },
      };
    case 'NodeRegistered': {
      if (state.phase === 'Registered') return state;
      const { at, ...registration } = event.data;
      return {
        phase: 'Registered',
        registration: { ...registration, registeredAt: at },
        disabledAt: null,
        presence: state.presence,
      };
    }
    case 'NodeDisabled':
      if (state.phase !== 'Registered' || state.disabledAt !== null) return state;
      return {
        ...state,
        disabledAt: event.data.at,
        presence: { ...state.presence, available: false },
      };
    case 'NodeEnabled':
      return state.phase === 'Registered' ? { ...state, disabledAt: null } : state;
    case 'NodeDescribed':
      return state.phase === 'Registered'
        ? {
            ...state,
            registration: { ...state.registration, description: event.data.description },
          }
        : state;
    default:
      return unknownEvent(event);
  }
}

/** Folds a node's stream, oldest event first. */
export function foldNode(events: readonly NodeEvent[]): NodeState {
  return events.reduce(evolve, initialState());
}

// ─── Commands ────────────────────────────────────────────────────────────────────────────────────
// Idempotency: repeating a registration (same account, hash and key; description and time may
// differ) yields []; disabling a disabled node, enabling an enabled one, or describing a node as it
// is described yields []. Presence: an announcement is recorded when the node is not there (new,
// left, lost, disabled) or announces other capabilities, slots or agent; leaving and loss only for a
// node that is there. Anything else yields [], so a scheduler may repeat them freely.

export interface RegisterNode {
  readonly type: 'RegisterNode';
  readonly data: {
    readonly nodeId: string;
    readonly accountId: string;
    readonly hash: string;
    readonly description: string;
    readonly userPublicKey: string;
    readonly now: string;
  };
}

interface OwnerCommandData {
  readonly nodeId: string;
  /** The caller's account: only the owner may change the node. */
  readonly accountId: string;
  readonly now: string;
}

export interface DisableNode {
  readonly type: 'DisableNode';
  readonly data: OwnerCommandData;
}

export interface EnableNode {
  readonly type: 'EnableNode';
  readonly data: OwnerCommandData;
}

export interface DescribeNode {
  readonly type: 'DescribeNode';
  readonly data: OwnerCommandData & { readonly description: string };
}

/** The node announced itself to the scheduler (on start, or again after a restart or a change). */
export interface AnnounceNode {
  readonly type: 'AnnounceNode';
  readonly data: {
    readonly nodeId: string;
    readonly capabilities: NodeCapabilities;
    readonly slots: number;
    readonly agent: string;
    readonly now: string;
  };
}

/** The node said goodbye. */
export interface LeaveNode {
  readonly type: 'LeaveNode';
  readonly data: { readonly nodeId: string; readonly now: string };
}

/**
 * The node's heartbeats stopped. `lastSeenAt` is null for a node the deciding scheduler never heard
 * from (it held tasks rebuilt after a restart): its last announcement is then the last sign of it.
 */
export interface LoseNode {
  readonly type: 'LoseNode';
  readonly data: {
    readonly nodeId: string;
    readonly lastSeenAt: string | null;
    readonly now: string;
  };
}

export type NodePresenceCommand = AnnounceNode | LeaveNode | LoseNode;
export type NodeOwnerCommand = RegisterNode | DisableNode | EnableNode | DescribeNode;
export type NodeCommand = NodeOwnerCommand | NodePresenceCommand;

// ─── Decide ──────────────────────────────────────────────────────────────────────────────────────

/**
 * @throws ContractViolationError when a field breaks the contract (hash, description, key...),
 *   naming it.
 * @throws NodeRuleViolation NODE_ALREADY_REGISTERED, or NODE_NOT_FOUND for a change to a node the
 *   account has not registered.
 */
export function decide(command: NodeCommand, state: NodeState): NodeEvent[] {
  switch (command.type) {
    case 'RegisterNode':
      return registerNode(command, state);
    case 'DisableNode': {
      const owned = ownedBy(state, command.data);
      if (owned.disabledAt !== null) return [];
      return [nodeEvent('NodeDisabled', ownerChange('DisableNode', command.data))];
    }
    case 'EnableNode': {
      const owned = ownedBy(state, command.data);
      if (owned.disabledAt === null) return [];
      return [nodeEvent('NodeEnabled', ownerChange('EnableNode', command.data))];
    }
    case 'AnnounceNode':
      return announceNode(command, state);
    case 'LeaveNode': {
      if (!state.presence.available) return [];
      const { nodeId, now } = command.data;
      return [nodeEvent('NodeLeft', { nodeId, at: now })];
    }
    case 'LoseNode': {
      const { presence } = state;
      if (!presence.available || presence.lastSeenAt === null) return [];
      const { nodeId, lastSeenAt, now } = command.data;
      return [
        nodeEvent('NodeLost', { nodeId, lastSeenAt: lastSeenAt ?? presence.lastSeenAt, at: now }),
      ];
    }
    case 'DescribeNode': {
      const owned = ownedBy(state, command.data);
      const { nodeId, accountId, description, now } = command.data;
      const described = parseContract(nodeDescribedDataSchema, 'DescribeNode command', {
        nodeId,
        accountId,
        description,
        at: now,
      });
      if (owned.registration.description === described.description) return [];
      return [nodeEvent('NodeDescribed', described)];
    }
    default:
      return unknownCommand(command);
  }
}

// decide, evolve and initialState as one value, for given/when/then tests and the aggregate below.
export const nodeDecider = { decide, evolve, initialState };

/** The decider and the parser of the stream's events: what a command handler takes. */
export const nodeAggregate: Aggregate<NodeCommand, NodeEvent, NodeState> = {
  decider: nodeDecider,
  parseEvent: parseNodeEvent,
};

function registerNode({ data }: RegisterNode, state: NodeState): NodeEvent[] {
  const { now, ...registration } = data;
  const registered = parseContract(nodeRegisteredDataSchema, 'RegisterNode command', {
    ...registration,
    at: now,
  });
  if (state.phase === 'NotRegistered') return [nodeEvent('NodeRegistered', registered)];
  const known = state.registration;
  if (
    known.accountId === registered.accountId &&
    known.hash === registered.hash &&
    known.userPublicKey === registered.userPublicKey
  )
    return [];
  throw new NodeRuleViolation(
    'NODE_ALREADY_REGISTERED',
    data.nodeId,
    `the node ${data.hash} is registered already`,
  );
}

function announceNode({ data }: AnnounceNode, state: NodeState): NodeEvent[] {
  const { nodeId, capabilities, slots, agent, now } = data;
  const { presence } = state;
  const unchanged =
    presence.available &&
    presence.slots === slots &&
    presence.agent === agent &&
    presence.capabilities !== null &&
    sameJson(presence.capabilities, capabilities);
  if (unchanged) return [];
  return [
    nodeEvent('NodeAnnounced', {
      nodeId,
      capabilities: { ...capabilities },
      slots,
      agent,
      at: now,
    }),
  ];
}

function ownedBy(
  state: NodeState,
  { nodeId, accountId }: OwnerCommandData,
): Extract<NodeState, { phase: 'Registered' }> {
  if (state.phase === 'Registered' && state.registration.accountId === accountId) return state;
  throw new NodeRuleViolation('NODE_NOT_FOUND', nodeId, 'the account has no such node');
}

function ownerChange(command: string, { nodeId, accountId, now }: OwnerCommandData) {
  return parseContract(nodeOwnerChangeDataSchema, `${command} command`, {
    nodeId,
    accountId,
    at: now,
  });
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled node event ${JSON.stringify(event)}`);
}

function unknownCommand(command: never): never {
  throw new Error(`Unhandled node command ${JSON.stringify(command)}`);
}
