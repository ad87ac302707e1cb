import type { TaskRequirements } from '@canopy/contracts';
import { candidateOf, comparePreference, hasFreeSlot, satisfies } from './node-matcher.js';
import type { MatchCandidate, NodeMatcher } from './node-matcher.js';

/**
 * Looks at every node for every task: O(nodes) per match. Obviously right, so it is the reference the
 * indexed matcher is checked and benchmarked against; too slow for a large fleet.
 */
export class FullScanMatcher implements NodeMatcher {
  private readonly nodes = new Map<string, MatchCandidate>();

  get size(): number {
    return this.nodes.size;
  }

  upsert(candidate: MatchCandidate): void {
    this.nodes.set(candidate.nodeId, candidateOf(candidate));
  }

  remove(nodeId: string): void {
    this.nodes.delete(nodeId);
  }

  bestNodeFor(requirements: TaskRequirements): string | undefined {
    let best: MatchCandidate | undefined;
    for (const node of this.nodes.values()) {
      if (!hasFreeSlot(node) || !satisfies(node.capabilities, requirements)) continue;
      if (best === undefined || comparePreference(node, best) < 0) best = node;
    }
    return best?.nodeId;
  }
}
