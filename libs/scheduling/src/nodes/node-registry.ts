import type { NodeCapabilities, RunningTask, TaskRequirements } from '@canopy/contracts';
import { IndexedHeap } from '../collections/indexed-heap.js';
import { IndexedMatcher } from '../matching/indexed-matcher.js';
import { capabilitiesOf, sameCapabilities } from '../matching/node-matcher.js';
import type { NodeMatcher } from '../matching/node-matcher.js';

export interface NodeRegistryOptions {
  /** A node that has not been heard from for this long is lost. */
  readonly heartbeatTimeoutMs: number;
  /** Default: an {@link IndexedMatcher}. */
  readonly matcher?: NodeMatcher;
}

/** What a node says about itself when it announces. */
export interface NodeAnnouncementFacts {
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
  readonly agent: string;
  readonly runningTasks: readonly RunningTask[];
}

export interface NodeHeartbeatFacts {
  readonly freeSlots: number;
  readonly runningTasks: readonly RunningTask[];
}

/** `joined`: not registered before; `changed`: registered with other capabilities, slots or agent. */
export type AnnounceOutcome = 'joined' | 'changed' | 'unchanged';

export interface RegisteredNode {
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
  readonly agent: string;
  readonly lastSeenMs: number;
  /** Slots held by attempts and offers of ours. */
  readonly held: number;
  /** Slots free for a new offer now (0 while paused). */
  readonly free: number;
  readonly pausedUntilMs: number | null;
}

export interface RegistryCapacity {
  readonly nodes: number;
  readonly busyNodes: number;
  readonly slots: number;
  readonly busySlots: number;
}

/** A node that left or was lost, with the tasks that held a slot on it. */
export interface DepartedNode {
  readonly nodeId: string;
  /** Null for a node this registry never heard from (it only held tasks rebuilt from events). */
  readonly lastSeenMs: number | null;
  readonly taskIds: readonly string[];
}

interface NodeRecord {
  readonly nodeId: string;
  capabilities: NodeCapabilities;
  slots: number;
  agent: string;
  lastSeenMs: number;
  /** Slots the node reported busy that no hold of ours explains (work we do not know about). */
  foreignBusy: number;
  pausedUntilMs: number | null;
  free: number;
}

/**
 * The nodes the scheduler knows, from their announcements, heartbeats and goodbyes, and the slots
 * its own attempts and offers hold on each. A node's used slots are our holds plus whatever it reports
 * busy beyond them, so it is never offered more than its slots even when it runs work we do not know.
 * Tasks can hold slots on a node that has not announced yet (state rebuilt after a restart): such a
 * node is awaited, and lost like any other when it does not show up within the heartbeat timeout.
 * Time is passed in (milliseconds); nothing here reads a clock.
 */
export class NodeRegistry {
  private readonly heartbeatTimeoutMs: number;
  private readonly matcher: NodeMatcher;
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly holds = new Map<string, Set<string>>();
  /** Nodes that hold tasks without having announced: since when. */
  private readonly awaited = new Map<string, number>();
  private readonly expiries = new IndexedHeap<string, number>((a, b) => a < b);
  private readonly pauses = new IndexedHeap<string, number>((a, b) => a < b);
  private freeTotal = 0;
  private version = 0;

  constructor(options: NodeRegistryOptions) {
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs;
    this.matcher = options.matcher ?? new IndexedMatcher();
  }

  /** Grows whenever some node may have become able to take more work: worth matching again. */
  get capacityVersion(): number {
    return this.version;
  }

  /** Free slots over every registered, unpaused node. */
  get totalFreeSlots(): number {
    return this.freeTotal;
  }

  get size(): number {
    return this.nodes.size;
  }

  /**
   * Registered nodes and their slots, and how many of each are busy (a node is busy while it runs or
   * is offered anything): for metrics, read at a scrape, never on the matching path.
   */
  capacity(): RegistryCapacity {
    let busyNodes = 0;
    let slots = 0;
    let busySlots = 0;
    for (const record of this.nodes.values()) {
      const busy = Math.min(
        record.slots,
        (this.holds.get(record.nodeId)?.size ?? 0) + record.foreignBusy,
      );
      slots += record.slots;
      busySlots += busy;
      if (busy > 0) busyNodes += 1;
    }
    return { nodes: this.nodes.size, busyNodes, slots, busySlots };
  }

  isRegistered(nodeId: string): boolean {
    return this.nodes.has(nodeId);
  }

  get(nodeId: string): RegisteredNode | undefined {
    const record = this.nodes.get(nodeId);
    if (record === undefined) return undefined;
    return {
      nodeId: record.nodeId,
      capabilities: capabilitiesOf(record.capabilities),
      slots: record.slots,
      agent: record.agent,
      lastSeenMs: record.lastSeenMs,
      held: this.holds.get(nodeId)?.size ?? 0,
      free: record.free,
      pausedUntilMs: record.pausedUntilMs,
    };
  }

  announce(facts: NodeAnnouncementFacts, nowMs: number): AnnounceOutcome {
    const known = this.nodes.get(facts.nodeId);
    const outcome: AnnounceOutcome =
      known === undefined
        ? 'joined'
        : sameCapabilities(known.capabilities, facts.capabilities) &&
            known.slots === facts.slots &&
            known.agent === facts.agent
          ? 'unchanged'
          : 'changed';
    const record: NodeRecord = known ?? {
      nodeId: facts.nodeId,
      capabilities: facts.capabilities,
      slots: facts.slots,
      agent: facts.agent,
      lastSeenMs: nowMs,
      foreignBusy: 0,
      pausedUntilMs: null,
      free: 0,
    };
    record.capabilities = capabilitiesOf(facts.capabilities);
    record.slots = facts.slots;
    record.agent = facts.agent;
    record.lastSeenMs = nowMs;
    // Announcing is a fresh start: whatever made us pause offers to it is over.
    record.pausedUntilMs = null;
    this.pauses.delete(facts.nodeId);
    record.foreignBusy = this.foreignBusy(
      facts.nodeId,
      facts.runningTasks.length,
      facts.runningTasks,
    );
    this.nodes.set(facts.nodeId, record);
    this.awaited.delete(facts.nodeId);
    this.expiries.set(facts.nodeId, nowMs + this.heartbeatTimeoutMs);
    this.refresh(record);
    this.version += 1;
    return outcome;
  }

  /** False for a node that is not registered: it must announce itself (again). */
  heartbeat(nodeId: string, facts: NodeHeartbeatFacts, nowMs: number): boolean {
    const record = this.nodes.get(nodeId);
    if (record === undefined) return false;
    record.lastSeenMs = nowMs;
    const busy = record.slots - Math.min(Math.max(facts.freeSlots, 0), record.slots);
    record.foreignBusy = this.foreignBusy(nodeId, busy, facts.runningTasks);
    this.expiries.set(nodeId, nowMs + this.heartbeatTimeoutMs);
    this.refresh(record);
    return true;
  }

  /** The node said goodbye. Undefined when it was neither registered nor awaited. */
  leave(nodeId: string): DepartedNode | undefined {
    if (!this.nodes.has(nodeId) && !this.awaited.has(nodeId)) return undefined;
    return this.depart(nodeId);
  }

  /**
   * Ends the pauses that are over, and removes and returns the nodes lost by `nowMs`: registered
   * nodes not heard from within the heartbeat timeout, and awaited nodes that never showed up.
   */
  expire(nowMs: number): DepartedNode[] {
    for (let due = this.pauses.peek(); due !== undefined && due.value <= nowMs;) {
      this.pauses.delete(due.key);
      const record = this.nodes.get(due.key);
      if (record !== undefined) {
        record.pausedUntilMs = null;
        this.refresh(record);
      }
      due = this.pauses.peek();
    }
    const lost: DepartedNode[] = [];
    for (let due = this.expiries.peek(); due !== undefined && due.value <= nowMs;) {
      lost.push(this.depart(due.key));
      due = this.expiries.peek();
    }
    return lost;
  }

  /**
   * Nobody is lost for silence before `untilMs`: after the scheduler could not hear nodes (its NATS
   * connection was down, or it was not the leader), each known node gets a full heartbeat timeout
   * to be heard from again.
   */
  extendAll(untilMs: number): void {
    for (const nodeId of [...this.nodes.keys(), ...this.awaited.keys()]) {
      const expiry = this.expiries.get(nodeId);
      if (expiry !== undefined && expiry < untilMs) this.expiries.set(nodeId, untilMs);
    }
  }

  /** An offer or attempt of `taskId` takes a slot on the node (idempotent). */
  hold(nodeId: string, taskId: string, nowMs: number): void {
    let held = this.holds.get(nodeId);
    if (held === undefined) {
      held = new Set();
      this.holds.set(nodeId, held);
    }
    if (held.has(taskId)) return;
    held.add(taskId);
    const record = this.nodes.get(nodeId);
    if (record !== undefined) {
      this.refresh(record);
    } else if (!this.awaited.has(nodeId)) {
      this.awaited.set(nodeId, nowMs);
      this.expiries.set(nodeId, nowMs + this.heartbeatTimeoutMs);
    }
  }

  /** The offer or attempt of `taskId` no longer takes a slot on the node (idempotent). */
  release(nodeId: string, taskId: string): void {
    const held = this.holds.get(nodeId);
    if (held === undefined || !held.delete(taskId)) return;
    if (held.size === 0) this.holds.delete(nodeId);
    const record = this.nodes.get(nodeId);
    if (record !== undefined) {
      this.refresh(record);
    } else if (held.size === 0 && this.awaited.delete(nodeId)) {
      this.expiries.delete(nodeId);
    }
  }

  /** No offers to the node until `untilMs` (it rejected or did not answer one). */
  pause(nodeId: string, untilMs: number): void {
    const record = this.nodes.get(nodeId);
    if (record === undefined) return;
    record.pausedUntilMs = Math.max(record.pausedUntilMs ?? untilMs, untilMs);
    this.pauses.set(nodeId, record.pausedUntilMs);
    this.refresh(record);
  }

  bestNodeFor(requirements: TaskRequirements): string | undefined {
    return this.matcher.bestNodeFor(requirements);
  }

  private depart(nodeId: string): DepartedNode {
    const record = this.nodes.get(nodeId);
    const taskIds = [...(this.holds.get(nodeId) ?? [])];
    this.holds.delete(nodeId);
    this.awaited.delete(nodeId);
    this.expiries.delete(nodeId);
    this.pauses.delete(nodeId);
    if (record !== undefined) {
      this.nodes.delete(nodeId);
      this.matcher.remove(nodeId);
      this.freeTotal -= record.free;
    }
    return { nodeId, lastSeenMs: record?.lastSeenMs ?? null, taskIds };
  }

  private foreignBusy(nodeId: string, busy: number, running: readonly RunningTask[]): number {
    const held = this.holds.get(nodeId);
    const explained =
      held === undefined ? 0 : running.filter((attempt) => held.has(attempt.taskId)).length;
    return Math.max(0, busy - explained);
  }

  private refresh(record: NodeRecord): void {
    const used = Math.min(
      record.slots,
      (this.holds.get(record.nodeId)?.size ?? 0) + record.foreignBusy,
    );
    const free = record.pausedUntilMs === null ? record.slots - used : 0;
    if (free > record.free) this.version += 1;
    this.freeTotal += free - record.free;
    record.free = free;
    this.matcher.upsert({
      nodeId: record.nodeId,
      capabilities: record.capabilities,
      slots: record.slots,
      used: record.slots - free,
    });
  }
}
