import { DeciderSpecification } from '@canopy/decider-testing';
import { ContractViolationError, nodeEvent } from '@canopy/contracts';
import type { NodeEvent } from '@canopy/contracts';
import { registeredNodeId } from './node-id.js';
import { NodeRuleViolation } from './node-rule-violation.js';
import type { NodeRuleCode } from './node-rule-violation.js';
import { foldNode, isDisabled, nodeDecider } from './node.js';
import type { NodeCommand, RegisterNode } from './node.js';

const given = DeciderSpecification.for(nodeDecider);

const accountId = '64057f3c9956fae80d7e0e84';
const otherAccountId = '64057f3c9956fae80d7e0e85';
const hash = 'rack-7';
const nodeId = registeredNodeId(accountId, hash);
const key = `U${'A'.repeat(55)}`;
const otherKey = `U${'B'.repeat(55)}`;
const t = (second: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, second)).toISOString();

const register = (overrides: Partial<RegisterNode['data']> = {}): RegisterNode => ({
  type: 'RegisterNode',
  data: {
    nodeId,
    accountId,
    hash,
    description: 'GPU box',
    userPublicKey: key,
    now: t(0),
    ...overrides,
  },
});
const owner = (
  type: 'DisableNode' | 'EnableNode',
  now = t(10),
  account = accountId,
): NodeCommand => ({
  type,
  data: { nodeId, accountId: account, now },
});
const describeAs = (description: string, account = accountId): NodeCommand => ({
  type: 'DescribeNode',
  data: { nodeId, accountId: account, description, now: t(20) },
});

const registered = nodeEvent('NodeRegistered', {
  nodeId,
  accountId,
  hash,
  description: 'GPU box',
  userPublicKey: key,
  at: t(0),
});
const disabled = nodeEvent('NodeDisabled', { nodeId, accountId, at: t(10) });
const enabled = nodeEvent('NodeEnabled', { nodeId, accountId, at: t(10) });
const announced = nodeEvent('NodeAnnounced', {
  nodeId,
  capabilities: { cpuCount: 4, memSize: 8192, networkLatency: 5, privileged: false },
  slots: 2,
  agent: 'canopy-node-agent/0.1.0',
  at: t(5),
});

const rule = (code: NodeRuleCode) => (error: NodeRuleViolation) =>
  error.code === code && error.nodeId === nodeId;

describe('the node id', () => {
  test('is 24 hex characters derived from the account and the hash', () => {
    expect(nodeId).toMatch(/^[0-9a-f]{24}$/);
    expect(registeredNodeId(accountId, hash)).toBe(nodeId);
    expect(registeredNodeId(otherAccountId, hash)).not.toBe(nodeId);
    expect(registeredNodeId(accountId, 'rack-8')).not.toBe(nodeId);
  });
});

describe('RegisterNode', () => {
  test('registers the node', () => {
    given([]).when(register()).then([registered]);
  });

  test('registers a node the scheduler saw before (its stream has presence events only)', () => {
    given([announced]).when(register()).then([registered]);
  });

  test('a repeat with the same key yields nothing, whenever it is stamped', () => {
    given([registered])
      .when(register({ now: t(30), description: 'another text' }))
      .thenNothing();
  });

  test.each([
    ['another key', { userPublicKey: otherKey }],
    ['another account', { accountId: otherAccountId }],
  ])('a registration with %s is refused', (_case, overrides) => {
    given([registered])
      .when(register(overrides))
      .thenThrows(NodeRuleViolation, rule('NODE_ALREADY_REGISTERED'));
  });

  test.each([
    ['hash', { hash: 'a b' }],
    ['description', { description: 'x'.repeat(501) }],
    ['userPublicKey', { userPublicKey: 'SUAB' }],
    ['nodeId', { nodeId: 'a.b' }],
  ])('a bad %s is refused naming it', (field, overrides) => {
    given([])
      .when(register(overrides))
      .thenThrows(ContractViolationError, (error) => error.field === field);
  });
});

describe('DisableNode', () => {
  test('disables a registered node', () => {
    given([registered]).when(owner('DisableNode')).then([disabled]);
  });

  test('disabling a disabled node yields nothing', () => {
    given([registered, disabled])
      .when(owner('DisableNode', t(40)))
      .thenNothing();
  });

  test('a node disabled, enabled and disabled again is disabled again', () => {
    given([registered, disabled, enabled])
      .when(owner('DisableNode', t(50)))
      .then([nodeEvent('NodeDisabled', { nodeId, accountId, at: t(50) })]);
  });

  test.each([
    ['an unregistered node', [] as NodeEvent[], accountId],
    ['a platform node the scheduler knows', [announced], accountId],
    ["another account's node", [registered], otherAccountId],
  ])('%s is not found', (_case, history, account) => {
    given(history)
      .when(owner('DisableNode', t(10), account))
      .thenThrows(NodeRuleViolation, rule('NODE_NOT_FOUND'));
  });
});

describe('EnableNode', () => {
  test('enables a disabled node', () => {
    given([registered, disabled]).when(owner('EnableNode')).then([enabled]);
  });

  test('enabling an enabled node yields nothing', () => {
    given([registered]).when(owner('EnableNode')).thenNothing();
    given([registered, disabled, enabled]).when(owner('EnableNode')).thenNothing();
  });

  test("another account's node is not found", () => {
    given([registered, disabled])
      .when(owner('EnableNode', t(10), otherAccountId))
      .thenThrows(NodeRuleViolation, rule('NODE_NOT_FOUND'));
    given([]).when(owner('EnableNode')).thenThrows(NodeRuleViolation, rule('NODE_NOT_FOUND'));
  });
});

describe('DescribeNode', () => {
  test('changes the description', () => {
    given([registered])
      .when(describeAs('GPU box, rack 7'))
      .then([
        nodeEvent('NodeDescribed', {
          nodeId,
          accountId,
          description: 'GPU box, rack 7',
          at: t(20),
        }),
      ]);
  });

  test('the same description yields nothing', () => {
    given([registered]).when(describeAs('GPU box')).thenNothing();
  });

  test('a description over 500 characters is refused naming it', () => {
    given([registered])
      .when(describeAs('x'.repeat(501)))
      .thenThrows(ContractViolationError, (error) => error.field === 'description');
  });

  test("another account's node, or none, is not found", () => {
    given([registered])
      .when(describeAs('mine now', otherAccountId))
      .thenThrows(NodeRuleViolation, rule('NODE_NOT_FOUND'));
    given([]).when(describeAs('x')).thenThrows(NodeRuleViolation, rule('NODE_NOT_FOUND'));
  });
});

describe('the folded node', () => {
  test('is available from its announcement until it is disabled, and stays away once enabled', () => {
    const afterAnnounce = foldNode([registered, announced]);
    expect(afterAnnounce).toMatchObject({
      phase: 'Registered',
      disabledAt: null,
      presence: { available: true, slots: 2, lastSeenAt: t(5) },
    });
    const afterDisable = foldNode([registered, announced, disabled]);
    expect(isDisabled(afterDisable)).toBe(true);
    expect(afterDisable.presence.available).toBe(false);
    const afterEnable = foldNode([registered, announced, disabled, enabled]);
    expect(isDisabled(afterEnable)).toBe(false);
    // Available again only once it announces again.
    expect(afterEnable.presence.available).toBe(false);
  });

  test('an announcement recorded after the disabling does not make the node available', () => {
    expect(foldNode([registered, disabled, announced]).presence).toMatchObject({
      available: false,
      slots: 2,
    });
  });

  test('a platform node stays unregistered whatever the scheduler records', () => {
    expect(foldNode([announced])).toMatchObject({
      phase: 'NotRegistered',
      presence: { available: true },
    });
  });
});

describe('presence: AnnounceNode, LeaveNode, LoseNode', () => {
  const { nodeId: _id, at: _at, ...facts } = announced.data;
  const announce = (now = t(50), changes: Partial<typeof facts> = {}): NodeCommand => ({
    type: 'AnnounceNode',
    data: { nodeId, ...facts, ...changes, now },
  });
  const leave: NodeCommand = { type: 'LeaveNode', data: { nodeId, now: t(60) } };
  const lose = (lastSeenAt: string | null): NodeCommand => ({
    type: 'LoseNode',
    data: { nodeId, lastSeenAt, now: t(60) },
  });
  const left = nodeEvent('NodeLeft', { nodeId, at: t(60) });

  test('a new node is announced, registered or not', () => {
    given([])
      .when(announce(t(5)))
      .then([announced]);
    given([registered])
      .when(announce(t(5)))
      .then([announced]);
  });

  test('announcing the same again records nothing; a change is recorded', () => {
    given([announced]).when(announce()).thenNothing();
    given([announced])
      .when(announce(t(50), { slots: 4 }))
      .then([nodeEvent('NodeAnnounced', { ...announced.data, slots: 4, at: t(50) })]);
    given([announced])
      .when(announce(t(50), { agent: 'canopy-node-agent/0.2.0' }))
      .then([
        nodeEvent('NodeAnnounced', {
          ...announced.data,
          agent: 'canopy-node-agent/0.2.0',
          at: t(50),
        }),
      ]);
    const privileged = { ...facts.capabilities, privileged: true };
    given([announced])
      .when(announce(t(50), { capabilities: privileged }))
      .then([
        nodeEvent('NodeAnnounced', { ...announced.data, capabilities: privileged, at: t(50) }),
      ]);
  });

  test('a node that comes back after leaving, being lost or re-enabled is announced again', () => {
    const again = [nodeEvent('NodeAnnounced', { ...announced.data, at: t(50) })];
    given([announced, left]).when(announce()).then(again);
    given([announced, nodeEvent('NodeLost', { nodeId, lastSeenAt: t(5), at: t(9) })])
      .when(announce())
      .then(again);
    given([registered, announced, disabled, enabled]).when(announce()).then(again);
  });

  test('leaving and loss are recorded once, and only for a node that is there', () => {
    given([announced]).when(leave).then([left]);
    given([announced, left]).when(leave).thenNothing();
    given([announced, left])
      .when(lose(t(55)))
      .thenNothing();
    given([]).when(leave).thenNothing();
    given([]).when(lose(null)).thenNothing();
    given([registered, announced, disabled]).when(leave).thenNothing();
    given([registered, announced, disabled]).when(lose(null)).thenNothing();
    given([registered, announced, enabled]).when(leave).then([left]);
  });

  test('a lost node is recorded with its last heartbeat, or its announcement when unseen', () => {
    given([announced])
      .when(lose(t(55)))
      .then([nodeEvent('NodeLost', { nodeId, lastSeenAt: t(55), at: t(60) })]);
    given([announced])
      .when(lose(null))
      .then([nodeEvent('NodeLost', { nodeId, lastSeenAt: t(5), at: t(60) })]);
  });
});
