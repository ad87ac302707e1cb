import type { NodeCapabilities, TaskRequirements } from '@canopy/contracts';
import { capabilitiesOf } from '../matching/node-matcher.js';
import type { SeededRandom } from './seeded-random.js';

export interface FleetNode {
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
}

const cpuChoices = [1, 2, 4, 8, 16, 32, 64];
const memoryChoices = [512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536];
const latencyChoices = [1, 5, 10, 20, 50, 100, 250];

/** `count` distinct machine types, as a fleet is bought: a few CPU / memory / network combinations. */
export function randomProfiles(random: SeededRandom, count: number): NodeCapabilities[] {
  const profiles = new Map<string, NodeCapabilities>();
  while (profiles.size < count) {
    const profile: NodeCapabilities = {
      cpuCount: random.pick(cpuChoices),
      memSize: random.pick(memoryChoices),
      networkLatency: random.pick(latencyChoices),
      privileged: random.chance(0.2),
    };
    const key = JSON.stringify(profile);
    if (!profiles.has(key)) profiles.set(key, profile);
  }
  return [...profiles.values()];
}

/** `count` nodes of the given machine types, with 1 to `maxSlots` slots each. */
export function randomFleet(
  random: SeededRandom,
  count: number,
  profiles: readonly NodeCapabilities[],
  maxSlots = 8,
): FleetNode[] {
  return Array.from({ length: count }, (_, index) => ({
    nodeId: `node-${String(index).padStart(6, '0')}`,
    capabilities: capabilitiesOf(random.pick(profiles)),
    slots: random.int(1, maxSlots),
  }));
}

/**
 * Requirements as functions declare them: mostly modest, some demanding, and about
 * `unmatchableShare` of them beyond any machine of the fleet (more CPUs than anyone has).
 */
export function randomRequirements(
  random: SeededRandom,
  unmatchableShare = 0.05,
): TaskRequirements {
  if (random.chance(unmatchableShare)) {
    return { cpuCount: 128, memSize: 1024, networkLatency: 0, privileged: false };
  }
  return {
    cpuCount: random.chance(0.3) ? 0 : random.pick(cpuChoices.slice(0, 5)),
    memSize: random.chance(0.3) ? 0 : random.pick(memoryChoices.slice(0, 6)),
    networkLatency: random.chance(0.6) ? 0 : random.pick(latencyChoices.slice(2)),
    privileged: random.chance(0.1),
  };
}
