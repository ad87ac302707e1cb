import type { NodeCapabilities, TaskRequirements } from '@canopy/contracts';
import { IndexedHeap } from '../collections/indexed-heap.js';
import {
  candidateOf,
  capabilitiesOf,
  comparePreference,
  hasFreeSlot,
  sameCapabilities,
  satisfies,
} from './node-matcher.js';
import type { MatchCandidate, NodeMatcher } from './node-matcher.js';

/** Every node with exactly these capabilities; the ones with a free slot in preference order. */
interface CapabilityProfile {
  readonly key: string;
  readonly capabilities: NodeCapabilities;
  members: number;
  readonly available: IndexedHeap<string, MatchCandidate>;
}

const preferred = (a: MatchCandidate, b: MatchCandidate): boolean => comparePreference(a, b) < 0;

/**
 * A matcher for large fleets. Fleets are made of few distinct machine types, so nodes are grouped
 * into buckets by capability profile (CPUs, memory, latency, privileged). Each bucket keeps its nodes
 * that have a free slot in a heap ordered by preference, and the buckets are sorted by CPU count,
 * most first. A match walks the buckets only down to the required CPU count, checks each bucket's
 * profile once (not each node) and compares the heads of the buckets that satisfy the task:
 * O(P + log n) per match and O(log n) per change of a node's load, for P profiles, instead of O(n).
 * When every node has its own profile this degrades to the full scan, never to something worse.
 */
export class IndexedMatcher implements NodeMatcher {
  private readonly profiles = new Map<string, CapabilityProfile>();
  /** By cpuCount, descending. */
  private readonly ordered: CapabilityProfile[] = [];
  private readonly profileOf = new Map<string, CapabilityProfile>();

  get size(): number {
    return this.profileOf.size;
  }

  get profileCount(): number {
    return this.ordered.length;
  }

  upsert(candidate: MatchCandidate): void {
    let profile = this.profileOf.get(candidate.nodeId);
    // The common change is a node's load, not its capabilities: no key to build then.
    if (profile !== undefined && !sameCapabilities(profile.capabilities, candidate.capabilities)) {
      this.remove(candidate.nodeId);
      profile = undefined;
    }
    if (profile === undefined) {
      const key = profileKey(candidate.capabilities);
      profile = this.profiles.get(key) ?? this.addProfile(key, candidate.capabilities);
      profile.members += 1;
      this.profileOf.set(candidate.nodeId, profile);
    }
    if (hasFreeSlot(candidate)) profile.available.set(candidate.nodeId, candidateOf(candidate));
    else profile.available.delete(candidate.nodeId);
  }

  remove(nodeId: string): void {
    const profile = this.profileOf.get(nodeId);
    if (profile === undefined) return;
    this.profileOf.delete(nodeId);
    profile.available.delete(nodeId);
    profile.members -= 1;
    if (profile.members === 0) {
      this.profiles.delete(profile.key);
      this.ordered.splice(this.ordered.indexOf(profile), 1);
    }
  }

  bestNodeFor(requirements: TaskRequirements): string | undefined {
    let best: MatchCandidate | undefined;
    for (const profile of this.ordered) {
      if (profile.capabilities.cpuCount < requirements.cpuCount) break;
      const head = profile.available.peek();
      if (head === undefined || !satisfies(profile.capabilities, requirements)) continue;
      if (best === undefined || preferred(head.value, best)) best = head.value;
    }
    return best?.nodeId;
  }

  private addProfile(key: string, capabilities: NodeCapabilities): CapabilityProfile {
    const profile: CapabilityProfile = {
      key,
      capabilities: capabilitiesOf(capabilities),
      members: 0,
      available: new IndexedHeap(preferred),
    };
    this.profiles.set(key, profile);
    const at = firstIndexWithFewerCpus(this.ordered, capabilities.cpuCount);
    this.ordered.splice(at, 0, profile);
    return profile;
  }
}

function profileKey(capabilities: NodeCapabilities): string {
  const { cpuCount, memSize, networkLatency, privileged } = capabilities;
  return `${cpuCount}/${memSize}/${networkLatency}/${privileged ? 'p' : 'u'}`;
}

function firstIndexWithFewerCpus(ordered: readonly CapabilityProfile[], cpuCount: number): number {
  let low = 0;
  let high = ordered.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((ordered[middle] as CapabilityProfile).capabilities.cpuCount >= cpuCount) low = middle + 1;
    else high = middle;
  }
  return low;
}
