import type { NodeCapabilities, TaskRequirements } from '@canopy/contracts';
import { SeededRandom } from '../testing/seeded-random.js';
import { randomFleet, randomProfiles, randomRequirements } from '../testing/random-fleet.js';
import { FullScanMatcher } from './full-scan-matcher.js';
import { IndexedMatcher } from './indexed-matcher.js';
import { comparePreference, satisfies } from './node-matcher.js';
import type { MatchCandidate, NodeMatcher } from './node-matcher.js';

const node: NodeCapabilities = {
  cpuCount: 4,
  memSize: 2048,
  networkLatency: 20,
  privileged: false,
};
const none: TaskRequirements = { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false };

describe('the matching rules', () => {
  test.each([
    ['no requirement at all', none, true],
    ['exactly the CPUs it has', { ...none, cpuCount: 4 }, true],
    ['more CPUs than it has', { ...none, cpuCount: 5 }, false],
    ['exactly the memory it has', { ...none, memSize: 2048 }, true],
    ['more memory than it has', { ...none, memSize: 2049 }, false],
    ['a latency of at most its own', { ...none, networkLatency: 20 }, true],
    ['a latency lower than its own', { ...none, networkLatency: 19 }, false],
    ['no latency requirement (0)', { ...none, networkLatency: 0 }, true],
    ['privileged, from an unprivileged node', { ...none, privileged: true }, false],
  ] as const)('a node matches %s: %s', (_case, requirements, expected) => {
    expect(satisfies(node, requirements)).toBe(expected);
  });

  test('a privileged node takes privileged and unprivileged tasks', () => {
    const privileged = { ...node, privileged: true };
    expect(satisfies(privileged, { ...none, privileged: true })).toBe(true);
    expect(satisfies(privileged, none)).toBe(true);
  });

  test('a node of latency 0 satisfies any latency requirement', () => {
    expect(satisfies({ ...node, networkLatency: 0 }, { ...none, networkLatency: 1 })).toBe(true);
  });
});

describe('the preference order', () => {
  const candidate = (
    nodeId: string,
    used: number,
    slots: number,
    networkLatency = 10,
  ): MatchCandidate => ({ nodeId, capabilities: { ...node, networkLatency }, slots, used });

  test('prefers the least loaded node, comparing loads as exact fractions', () => {
    expect(comparePreference(candidate('a', 1, 3), candidate('b', 1, 2))).toBeLessThan(0);
    // 2/6 and 1/3 are the same load: the id decides.
    expect(comparePreference(candidate('b', 2, 6), candidate('a', 1, 3))).toBeGreaterThan(0);
  });

  test('then the lowest latency, then the node id', () => {
    expect(comparePreference(candidate('b', 1, 2, 5), candidate('a', 2, 4, 9))).toBeLessThan(0);
    expect(comparePreference(candidate('a', 1, 2), candidate('b', 1, 2))).toBeLessThan(0);
    expect(comparePreference(candidate('a', 1, 2), candidate('a', 1, 2))).toBe(0);
  });
});

describe.each([
  ['IndexedMatcher', () => new IndexedMatcher()],
  ['FullScanMatcher', () => new FullScanMatcher()],
] as const)('%s', (_name, create: () => NodeMatcher) => {
  const add = (
    matcher: NodeMatcher,
    nodeId: string,
    capabilities: Partial<NodeCapabilities>,
    slots = 2,
    used = 0,
  ) => matcher.upsert({ nodeId, capabilities: { ...node, ...capabilities }, slots, used });

  test('finds no node in an empty fleet', () => {
    expect(create().bestNodeFor(none)).toBeUndefined();
  });

  test('picks only a node that satisfies every requirement', () => {
    const matcher = create();
    add(matcher, 'small', { cpuCount: 1, memSize: 512 });
    add(matcher, 'far', { cpuCount: 8, memSize: 8192, networkLatency: 200 });
    add(matcher, 'big', { cpuCount: 8, memSize: 8192, networkLatency: 30 });
    add(matcher, 'root', { cpuCount: 8, memSize: 8192, networkLatency: 30, privileged: true });
    expect(matcher.bestNodeFor({ ...none, cpuCount: 2, networkLatency: 50 })).toBe('big');
    expect(matcher.bestNodeFor({ ...none, memSize: 4096, privileged: true })).toBe('root');
    expect(matcher.bestNodeFor({ ...none, cpuCount: 16 })).toBeUndefined();
  });

  test('never picks a node without a free slot', () => {
    const matcher = create();
    add(matcher, 'full', {}, 2, 2);
    expect(matcher.bestNodeFor(none)).toBeUndefined();
    add(matcher, 'full', {}, 2, 1);
    expect(matcher.bestNodeFor(none)).toBe('full');
  });

  test('prefers the least loaded, then the lowest latency, then the smallest id', () => {
    const matcher = create();
    add(matcher, 'busy', { networkLatency: 1 }, 4, 3);
    add(matcher, 'idle-far', { networkLatency: 40 }, 4, 0);
    add(matcher, 'idle-near-b', { networkLatency: 5 }, 2, 0);
    add(matcher, 'idle-near-a', { networkLatency: 5 }, 8, 0);
    expect(matcher.bestNodeFor(none)).toBe('idle-near-a');
    add(matcher, 'idle-near-a', { networkLatency: 5 }, 8, 1);
    expect(matcher.bestNodeFor(none)).toBe('idle-near-b');
  });

  test('follows a node whose capabilities change, and forgets a removed one', () => {
    const matcher = create();
    add(matcher, 'n', { cpuCount: 2 });
    add(matcher, 'n', { cpuCount: 16 });
    expect(matcher.size).toBe(1);
    expect(matcher.bestNodeFor({ ...none, cpuCount: 16 })).toBe('n');
    matcher.remove('n');
    expect(matcher.bestNodeFor(none)).toBeUndefined();
    expect(matcher.size).toBe(0);
  });
});

describe('the indexed matcher agrees with the full scan (random fleets and tasks)', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
    const random = new SeededRandom(seed);
    const indexed = new IndexedMatcher();
    const reference = new FullScanMatcher();
    const profiles = randomProfiles(random, random.int(1, 12));
    const fleet = randomFleet(random, random.int(1, 120), profiles, 4);
    const used = new Map<string, number>();
    const removed = new Set<string>();
    const upsert = (nodeId: string) => {
      const known = fleet.find((candidate) => candidate.nodeId === nodeId);
      if (known === undefined) throw new Error(nodeId);
      const candidate = { ...known, used: used.get(nodeId) ?? 0 };
      indexed.upsert(candidate);
      reference.upsert(candidate);
      removed.delete(nodeId);
    };
    for (const member of fleet) upsert(member.nodeId);
    const running: string[] = [];
    const outcomes = { matched: 0, unmatched: 0 };
    for (let step = 0; step < 1_500; step += 1) {
      const roll = random.next();
      if (roll < 0.6) {
        const requirements = randomRequirements(random, 0.1);
        const expected = reference.bestNodeFor(requirements);
        expect(indexed.bestNodeFor(requirements)).toBe(expected);
        outcomes[expected === undefined ? 'unmatched' : 'matched'] += 1;
        if (expected !== undefined) {
          used.set(expected, (used.get(expected) ?? 0) + 1);
          running.push(expected);
          upsert(expected);
        }
      } else if (roll < 0.9 && running.length > 0) {
        const [released] = running.splice(random.int(0, running.length - 1), 1);
        if (released === undefined) continue;
        used.set(released, (used.get(released) ?? 1) - 1);
        if (!removed.has(released)) upsert(released);
      } else {
        // A node leaves, or comes back with other capabilities.
        const member = random.pick(fleet);
        if (random.chance(0.5)) {
          indexed.remove(member.nodeId);
          reference.remove(member.nodeId);
          removed.add(member.nodeId);
        } else {
          const changed = { ...member, capabilities: random.pick(profiles) };
          fleet[fleet.indexOf(member)] = changed;
          upsert(member.nodeId);
        }
      }
      expect(indexed.size).toBe(reference.size);
    }
    // Both answers were exercised, so the agreement means something.
    expect(outcomes.matched).toBeGreaterThan(0);
    expect(outcomes.unmatched).toBeGreaterThan(0);
  });
});
