import { nodeEvent } from '@canopy/contracts';
import type { NodeEvent } from '@canopy/contracts';
import { nodeEventsOnAnnounce, nodeEventsOnLeave, nodeEventsOnLoss } from './node-stream.js';

const node = {
  nodeId: 'n1',
  capabilities: { cpuCount: 2, memSize: 1024, networkLatency: 5, privileged: false },
  slots: 2,
  agent: 'agent/1',
};
const announced = nodeEvent('NodeAnnounced', { ...node, at: '2026-12-01T10:00:00Z' });
const later = '2026-12-01T11:00:00Z';

describe('the node stream', () => {
  test('a new node is announced', () => {
    expect(nodeEventsOnAnnounce([], node, later)).toEqual([
      nodeEvent('NodeAnnounced', { ...node, at: later }),
    ]);
  });

  test('announcing the same again records nothing; a change is recorded', () => {
    expect(nodeEventsOnAnnounce([announced], node, later)).toEqual([]);
    expect(nodeEventsOnAnnounce([announced], { ...node, slots: 4 }, later)).toHaveLength(1);
    expect(nodeEventsOnAnnounce([announced], { ...node, agent: 'agent/2' }, later)).toHaveLength(1);
    expect(
      nodeEventsOnAnnounce(
        [announced],
        { ...node, capabilities: { ...node.capabilities, privileged: true } },
        later,
      ),
    ).toHaveLength(1);
  });

  test('a node that comes back after leaving or being lost is announced again', () => {
    const left = nodeEvent('NodeLeft', { nodeId: 'n1', at: later });
    expect(nodeEventsOnAnnounce([announced, left], node, later)).toHaveLength(1);
  });

  test('leaving and loss are recorded once, and only for a node that is there', () => {
    expect(nodeEventsOnLeave([announced], 'n1', later)).toEqual([
      nodeEvent('NodeLeft', { nodeId: 'n1', at: later }),
    ]);
    const gone: NodeEvent[] = [announced, nodeEvent('NodeLeft', { nodeId: 'n1', at: later })];
    expect(nodeEventsOnLeave(gone, 'n1', later)).toEqual([]);
    expect(nodeEventsOnLoss(gone, 'n1', later, later)).toEqual([]);
    expect(nodeEventsOnLeave([], 'n1', later)).toEqual([]);
    expect(nodeEventsOnLoss([], 'n1', null, later)).toEqual([]);
  });

  test('a lost node is recorded with its last heartbeat, or its announcement when unseen', () => {
    expect(nodeEventsOnLoss([announced], 'n1', '2026-12-01T10:30:00Z', later)).toEqual([
      nodeEvent('NodeLost', { nodeId: 'n1', lastSeenAt: '2026-12-01T10:30:00Z', at: later }),
    ]);
    expect(nodeEventsOnLoss([announced], 'n1', null, later)).toEqual([
      nodeEvent('NodeLost', { nodeId: 'n1', lastSeenAt: announced.data.at, at: later }),
    ]);
  });

  test('owner events do not hide presence; disabling ends it like leaving', () => {
    const owner = { nodeId: 'n1', accountId: '64057f3c9956fae80d7e0e84', at: later };
    const enabled = nodeEvent('NodeEnabled', owner);
    // Enabled after being there: still there, nothing new to announce, and it can leave.
    expect(nodeEventsOnAnnounce([announced, enabled], node, later)).toEqual([]);
    expect(nodeEventsOnLeave([announced, enabled], 'n1', later)).toHaveLength(1);
    const disabled: NodeEvent[] = [announced, nodeEvent('NodeDisabled', owner)];
    expect(nodeEventsOnLeave(disabled, 'n1', later)).toEqual([]);
    expect(nodeEventsOnLoss(disabled, 'n1', null, later)).toEqual([]);
    expect(nodeEventsOnAnnounce([...disabled, enabled], node, later)).toHaveLength(1);
  });
});
