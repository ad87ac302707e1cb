import type { NodeCapabilities, TaskRequirements } from '@canopy/contracts';

/** What a matcher knows of a node: what it offers and how busy it is. */
export interface MatchCandidate {
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
  /** Slots taken: running attempts and pending offers. A node with `used >= slots` is never picked. */
  readonly used: number;
}

/**
 * Picks the node for a task (docs/architecture.md "Capabilities and matching"). Every implementation
 * gives the same answer for the same fleet: the matching node with a free slot that comes first in
 * {@link comparePreference}.
 */
export interface NodeMatcher {
  /** Adds the node, or replaces everything the matcher knew about it. */
  upsert(candidate: MatchCandidate): void;
  remove(nodeId: string): void;
  /** The node to offer a task with these requirements to, or undefined when none can take it now. */
  bestNodeFor(requirements: TaskRequirements): string | undefined;
  /** Nodes known, with or without a free slot. */
  readonly size: number;
}

/**
 * The matching rules: at least the CPUs and memory (MiB) required; a latency no higher than required
 * unless the requirement is 0 (none); privileged when privileged is required.
 */
export function satisfies(capabilities: NodeCapabilities, requirements: TaskRequirements): boolean {
  return (
    capabilities.cpuCount >= requirements.cpuCount &&
    capabilities.memSize >= requirements.memSize &&
    (requirements.networkLatency === 0 ||
      capabilities.networkLatency <= requirements.networkLatency) &&
    (!requirements.privileged || capabilities.privileged)
  );
}

export function sameCapabilities(a: NodeCapabilities, b: NodeCapabilities): boolean {
  return (
    a.cpuCount === b.cpuCount &&
    a.memSize === b.memSize &&
    a.networkLatency === b.networkLatency &&
    a.privileged === b.privileged
  );
}

/**
 * A copy of the candidate in one fixed object shape. Matchers keep copies (the caller may reuse its
 * object), and one shape keeps property reads fast in their hot loops: V8 gives objects built by
 * spreading several shapes, and a scan over mixed shapes is several times slower.
 */
export function candidateOf(candidate: MatchCandidate): MatchCandidate {
  return {
    nodeId: candidate.nodeId,
    capabilities: capabilitiesOf(candidate.capabilities),
    slots: candidate.slots,
    used: candidate.used,
  };
}

/** A copy of the capabilities in one fixed object shape (see {@link candidateOf}). */
export function capabilitiesOf(capabilities: NodeCapabilities): NodeCapabilities {
  return {
    cpuCount: capabilities.cpuCount,
    memSize: capabilities.memSize,
    networkLatency: capabilities.networkLatency,
    privileged: capabilities.privileged,
  };
}

export function hasFreeSlot(candidate: MatchCandidate): boolean {
  return candidate.used < candidate.slots;
}

/**
 * The score, as a total order (negative: `a` is preferred): the least loaded node first (fewest used
 * slots per slot, compared exactly as fractions), then the lowest network latency, then the node id
 * so that the choice is deterministic.
 */
export function comparePreference(a: MatchCandidate, b: MatchCandidate): number {
  const load = a.used * b.slots - b.used * a.slots;
  if (load !== 0) return load;
  const latency = a.capabilities.networkLatency - b.capabilities.networkLatency;
  if (latency !== 0) return latency;
  return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
}
