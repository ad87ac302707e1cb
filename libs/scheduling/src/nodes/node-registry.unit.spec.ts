import type { NodeCapabilities, TaskRequirements } from '@canopy/contracts';
import { FullScanMatcher } from '../matching/full-scan-matcher.js';
import { NodeRegistry } from './node-registry.js';
import type { NodeAnnouncementFacts } from './node-registry.js';

const capabilities: NodeCapabilities = {
  cpuCount: 4,
  memSize: 4096,
  networkLatency: 10,
  privileged: false,
};
const anyTask: TaskRequirements = { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false };
const TIMEOUT = 6_000;

const announcement = (
  nodeId: string,
  overrides: Partial<NodeAnnouncementFacts> = {},
): NodeAnnouncementFacts => ({
  nodeId,
  capabilities,
  slots: 2,
  agent: 'test-node/1',
  runningTasks: [],
  ...overrides,
});

const registry = () => new NodeRegistry({ heartbeatTimeoutMs: TIMEOUT });

describe('NodeRegistry', () => {
  test('an announced node can be matched; an unknown heartbeat is refused', () => {
    const nodes = registry();
    expect(nodes.bestNodeFor(anyTask)).toBeUndefined();
    expect(nodes.announce(announcement('n1'), 0)).toBe('joined');
    expect(nodes.bestNodeFor(anyTask)).toBe('n1');
    expect(nodes.totalFreeSlots).toBe(2);
    expect(nodes.heartbeat('stranger', { freeSlots: 1, runningTasks: [] }, 10)).toBe(false);
    expect(nodes.heartbeat('n1', { freeSlots: 2, runningTasks: [] }, 10)).toBe(true);
  });

  test('tells a repeated announcement from a changed one', () => {
    const nodes = registry();
    nodes.announce(announcement('n1'), 0);
    expect(nodes.announce(announcement('n1'), 1)).toBe('unchanged');
    expect(nodes.announce(announcement('n1', { slots: 3 }), 2)).toBe('changed');
    expect(
      nodes.announce(
        announcement('n1', { slots: 3, capabilities: { ...capabilities, cpuCount: 8 } }),
        3,
      ),
    ).toBe('changed');
    expect(
      nodes.announce(
        announcement('n1', {
          slots: 3,
          capabilities: { ...capabilities, cpuCount: 8 },
          agent: 'x/2',
        }),
        4,
      ),
    ).toBe('changed');
    expect(nodes.get('n1')).toMatchObject({
      slots: 3,
      agent: 'x/2',
      capabilities: { cpuCount: 8 },
    });
  });

  test('never offers a node more than its slots: holds of offers and attempts count', () => {
    const nodes = registry();
    nodes.announce(announcement('n1', { slots: 2 }), 0);
    nodes.hold('n1', 'task-a', 0);
    expect(nodes.bestNodeFor(anyTask)).toBe('n1');
    nodes.hold('n1', 'task-b', 0);
    expect(nodes.bestNodeFor(anyTask)).toBeUndefined();
    expect(nodes.totalFreeSlots).toBe(0);
    nodes.hold('n1', 'task-b', 0); // idempotent
    nodes.release('n1', 'task-a');
    expect(nodes.bestNodeFor(anyTask)).toBe('n1');
    expect(nodes.get('n1')).toMatchObject({ held: 1, free: 1 });
  });

  test('counts work the node reports that no hold of ours explains', () => {
    const nodes = registry();
    nodes.announce(
      announcement('n1', {
        slots: 2,
        runningTasks: [
          { taskId: 'ours', attempt: 1 },
          { taskId: 'foreign', attempt: 1 },
        ],
      }),
      0,
    );
    // Two running, none of them ours: full.
    expect(nodes.bestNodeFor(anyTask)).toBeUndefined();
    nodes.hold('n1', 'ours', 0);
    nodes.heartbeat(
      'n1',
      {
        freeSlots: 0,
        runningTasks: [
          { taskId: 'ours', attempt: 1 },
          { taskId: 'foreign', attempt: 1 },
        ],
      },
      1,
    );
    expect(nodes.get('n1')).toMatchObject({ held: 1, free: 0 });
    // Our attempt ends: its slot is free at once, the foreign one still counts.
    nodes.release('n1', 'ours');
    expect(nodes.get('n1')).toMatchObject({ held: 0, free: 1 });
    nodes.heartbeat('n1', { freeSlots: 2, runningTasks: [] }, 2);
    expect(nodes.get('n1')?.free).toBe(2);
  });

  test('a stale heartbeat cannot free a slot our own offer holds', () => {
    const nodes = registry();
    nodes.announce(announcement('n1', { slots: 1 }), 0);
    nodes.hold('n1', 'offered', 0);
    nodes.heartbeat('n1', { freeSlots: 1, runningTasks: [] }, 1); // sent before the offer arrived
    expect(nodes.bestNodeFor(anyTask)).toBeUndefined();
  });

  test('loses a node not heard from within the heartbeat timeout, with its tasks', () => {
    const nodes = registry();
    nodes.announce(announcement('n1'), 0);
    nodes.announce(announcement('n2'), 0);
    nodes.hold('n1', 'task-a', 0);
    nodes.heartbeat('n2', { freeSlots: 2, runningTasks: [] }, 5_000);
    expect(nodes.expire(TIMEOUT - 1)).toEqual([]);
    expect(nodes.expire(TIMEOUT)).toEqual([{ nodeId: 'n1', lastSeenMs: 0, taskIds: ['task-a'] }]);
    expect(nodes.isRegistered('n1')).toBe(false);
    expect(nodes.bestNodeFor(anyTask)).toBe('n2');
    expect(nodes.expire(TIMEOUT)).toEqual([]);
    expect(nodes.heartbeat('n1', { freeSlots: 2, runningTasks: [] }, TIMEOUT + 1)).toBe(false);
    expect(nodes.expire(5_000 + TIMEOUT)).toEqual([
      { nodeId: 'n2', lastSeenMs: 5_000, taskIds: [] },
    ]);
    expect(nodes.size).toBe(0);
    expect(nodes.totalFreeSlots).toBe(0);
  });

  test('a heartbeat keeps a node alive', () => {
    const nodes = registry();
    nodes.announce(announcement('n1'), 0);
    for (let now = 2_000; now <= 20_000; now += 2_000) {
      nodes.heartbeat('n1', { freeSlots: 2, runningTasks: [] }, now);
      expect(nodes.expire(now)).toEqual([]);
    }
  });

  test('a goodbye removes the node and returns its tasks', () => {
    const nodes = registry();
    nodes.announce(announcement('n1'), 0);
    nodes.hold('n1', 'task-a', 0);
    expect(nodes.leave('n1')).toEqual({ nodeId: 'n1', lastSeenMs: 0, taskIds: ['task-a'] });
    expect(nodes.leave('n1')).toBeUndefined();
    expect(nodes.expire(TIMEOUT * 2)).toEqual([]);
  });

  test('a node that holds tasks without having announced is awaited, then lost', () => {
    const nodes = registry();
    nodes.hold('ghost', 'task-a', 1_000);
    nodes.hold('ghost', 'task-b', 2_000);
    expect(nodes.isRegistered('ghost')).toBe(false);
    expect(nodes.expire(1_000 + TIMEOUT - 1)).toEqual([]);
    expect(nodes.expire(1_000 + TIMEOUT)).toEqual([
      { nodeId: 'ghost', lastSeenMs: null, taskIds: ['task-a', 'task-b'] },
    ]);
  });

  test('an awaited node that announces keeps its tasks and is no longer awaited', () => {
    const nodes = registry();
    nodes.hold('back', 'task-a', 0);
    nodes.announce(
      announcement('back', { slots: 1, runningTasks: [{ taskId: 'task-a', attempt: 1 }] }),
      10,
    );
    expect(nodes.get('back')).toMatchObject({ held: 1, free: 0 });
    nodes.heartbeat(
      'back',
      { freeSlots: 0, runningTasks: [{ taskId: 'task-a', attempt: 1 }] },
      2_000,
    );
    expect(nodes.expire(TIMEOUT + 1)).toEqual([]);
  });

  test('an awaited node whose tasks all ended is not waited for', () => {
    const nodes = registry();
    nodes.hold('ghost', 'task-a', 0);
    nodes.release('ghost', 'task-a');
    expect(nodes.expire(TIMEOUT)).toEqual([]);
  });

  test('a paused node gets no offers until the pause ends; announcing ends it too', () => {
    const nodes = registry();
    nodes.announce(announcement('n1'), 0);
    nodes.pause('n1', 1_000);
    expect(nodes.bestNodeFor(anyTask)).toBeUndefined();
    expect(nodes.totalFreeSlots).toBe(0);
    const before = nodes.capacityVersion;
    nodes.heartbeat('n1', { freeSlots: 2, runningTasks: [] }, 500);
    expect(nodes.expire(999)).toEqual([]);
    expect(nodes.bestNodeFor(anyTask)).toBeUndefined();
    nodes.expire(1_000);
    expect(nodes.bestNodeFor(anyTask)).toBe('n1');
    expect(nodes.capacityVersion).toBeGreaterThan(before);
    nodes.pause('n1', 5_000);
    nodes.announce(announcement('n1'), 1_500);
    expect(nodes.bestNodeFor(anyTask)).toBe('n1');
  });

  test('capacity grows its version only when a node may take more', () => {
    const nodes = registry();
    nodes.announce(announcement('n1'), 0);
    const afterJoin = nodes.capacityVersion;
    nodes.hold('n1', 'task-a', 0);
    nodes.heartbeat('n1', { freeSlots: 1, runningTasks: [{ taskId: 'task-a', attempt: 1 }] }, 1);
    expect(nodes.capacityVersion).toBe(afterJoin);
    nodes.release('n1', 'task-a');
    expect(nodes.capacityVersion).toBeGreaterThan(afterJoin);
  });

  test('matches by capability through the matcher it is given', () => {
    const nodes = new NodeRegistry({ heartbeatTimeoutMs: TIMEOUT, matcher: new FullScanMatcher() });
    nodes.announce(announcement('plain'), 0);
    nodes.announce(
      announcement('root', { capabilities: { ...capabilities, privileged: true } }),
      0,
    );
    expect(nodes.bestNodeFor({ ...anyTask, privileged: true })).toBe('root');
    nodes.announce(announcement('root', { capabilities }), 1);
    expect(nodes.bestNodeFor({ ...anyTask, privileged: true })).toBeUndefined();
  });
});

describe('NodeRegistry, read for metrics', () => {
  test('counts nodes and slots, and the busy ones', () => {
    const nodes = registry();
    expect(nodes.capacity()).toEqual({ nodes: 0, busyNodes: 0, slots: 0, busySlots: 0 });
    nodes.announce(announcement('n1', { slots: 2 }), 0);
    nodes.announce(announcement('n2', { slots: 3 }), 0);
    nodes.hold('n1', 'task-a', 1);
    expect(nodes.capacity()).toEqual({ nodes: 2, busyNodes: 1, slots: 5, busySlots: 1 });
  });
});
