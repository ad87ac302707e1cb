import { DEFAULT_TASK_PRIORITY } from '@canopy/contracts';
import type {
  RunningTask,
  TaskEvent,
  TaskFailureReason,
  TaskIssued,
  TaskRequirements,
  UnassignReason,
} from '@canopy/contracts';
import { IndexedHeap } from '../collections/indexed-heap.js';
import type { NodeRegistry } from '../nodes/node-registry.js';

export interface TaskQueueOptions {
  /** How long a node has to answer an offer before the task goes back to waiting. */
  readonly offerTimeoutMs: number;
  /** How long offers to a node stop after it rejected or ignored one. */
  readonly offerCooldownMs: number;
  /**
   * Added to a task's timeout before the scheduler fails it: the node enforces the timeout itself and
   * reports its own 504, which should win over ours when it is merely a little late.
   */
  readonly runTimeoutGraceMs: number;
  /** When a deadline was handed out but nothing changed, it is handed out again after this long. */
  readonly deadlineRetryMs: number;
  /** How many ended tasks are remembered, so that late copies of their events are ignored. */
  readonly endedMemory?: number;
  /**
   * Waiting this long is worth one priority level (aging): a task is ranked by the time it became
   * due minus its priority times this, so no task waits behind newer ones for ever. Default
   * {@link DEFAULT_PRIORITY_AGING_MS}.
   */
  readonly priorityAgingMs?: number;
}

/** A task offered to a node: the app sends it, then reports the answer. */
export interface Offer {
  readonly offerId: number;
  readonly taskId: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly task: TaskIssued['data'];
  /** The metadata of the task's TaskIssued: the request and the trace it continues. */
  readonly issuedMetadata: TaskIssued['metadata'];
  readonly expiresAtMs: number;
}

/** Something the app must act on now. Handed out again after `deadlineRetryMs` until resolved. */
export type DueDeadline =
  /** Waited longer than its pending deadline: fail it with NO_RUNNER. */
  | { readonly kind: 'PendingDeadline'; readonly taskId: string; readonly waitingSinceMs: number }
  /** Ran longer than its timeout: fail it with TIMEOUT and cancel the attempt. */
  | {
      readonly kind: 'RunTimeout';
      readonly taskId: string;
      readonly nodeId: string;
      readonly attempt: number;
    }
  /**
   * The attempt is over without a result: its node is gone (lost, left, or restarted without it;
   * `reason` undefined: the app tells a lost node from a disabled one), or the node refused it or
   * never answered its assignment. Unassign it.
   */
  | {
      readonly kind: 'EndAttempt';
      readonly taskId: string;
      readonly nodeId: string;
      readonly attempt: number;
      readonly reason: UnassignReason | undefined;
    }
  /** An offer went unanswered; the task is already waiting again (reported so it can be logged). */
  | {
      readonly kind: 'OfferExpired';
      readonly taskId: string;
      readonly nodeId: string;
      readonly attempt: number;
    };

export type QueuedTaskPhase = 'waiting' | 'offered' | 'assigned';

/** How many ended tasks `lastSeen` answers for: the moment between two ways of hearing of an end. */
const RECENTLY_ENDED_KEPT = 1024;

/** How a task ended: it failed, for a reason, or an attempt's result ended it. */
export type TaskEnding =
  | { readonly kind: 'failed'; readonly reason: TaskFailureReason }
  | { readonly kind: 'finished'; readonly attempt: number };

interface EndedTask {
  readonly view: QueuedTaskView;
  readonly accountId: string;
}

export interface QueuedTaskView {
  readonly taskId: string;
  readonly phase: QueuedTaskPhase;
  /** The node of the offer or assignment; null while waiting. */
  readonly nodeId: string | null;
  /** The attempt offered or assigned; the next one while waiting. */
  readonly attempt: number;
  readonly streamVersion: number;
  /** When the task was issued (ms since the epoch). */
  readonly issuedAtMs: number;
  /** When the current attempt was assigned; null unless assigned. */
  readonly assignedAtMs: number | null;
}

type Placement =
  /** `sinceMs`: when it became, or becomes, due; its pending deadline runs from then. */
  | { readonly phase: 'waiting'; readonly sinceMs: number }
  | {
      readonly phase: 'offered';
      readonly sinceMs: number;
      readonly offer: Offer;
      accepted: boolean;
    }
  | {
      readonly phase: 'assigned';
      readonly nodeId: string;
      readonly attempt: number;
      readonly assignedAtMs: number;
      /** When the task started waiting before this attempt: a refusal does not reset it. */
      readonly waitedSinceMs: number;
      /** Set once the attempt is known to be over without a result. */
      ending: { readonly sinceMs: number; readonly reason: UnassignReason | undefined } | null;
    };

interface QueuedTask {
  readonly task: TaskIssued['data'];
  readonly issuedMetadata: TaskIssued['metadata'];
  readonly issuedAtMs: number;
  /** Its place among the waiting tasks, lowest first: see {@link TaskQueue}. */
  readonly rankMs: number;
  /** Whether it is in the waiting list: a waiting task is listed once it is due. */
  listed: boolean;
  /** No node is offered it before this time (its `notBefore`, or the `retryAt` of a failed attempt). */
  heldUntilMs: number;
  /** Time the platform was away while the task was active: its deadlines are this much later. */
  allowanceMs: number;
  /** Version of the last event applied from the task's stream. */
  version: number;
  /** Highest attempt ever assigned. */
  attempts: number;
  placement: Placement;
}

const DEFAULT_ENDED_MEMORY = 100_000;
/** One priority level per minute waited. */
export const DEFAULT_PRIORITY_AGING_MS = 60_000;

/**
 * The scheduler's view of the tasks that are not over: waiting in priority order, offered to a node,
 * or assigned, each with its next deadline. Built only from task events (in stream
 * order, so it can be rebuilt from the event store after a restart) plus the offers in flight, which
 * only this process knows. It never decides anything the task decider must decide: it tells the app
 * which commands are due, and the app runs them through the decider against the task's stream.
 *
 * Order: a waiting task's rank is the time it became due (its issue, or its `notBefore` when later)
 * minus its priority times `priorityAgingMs`, and waiting tasks are offered lowest rank first (then
 * by id). So a higher priority goes first, tasks of one priority go in the order they became due, and
 * waiting `priorityAgingMs` longer counts as much as one level more: a task of priority 0 waits
 * behind at most the priority-9 tasks that became due within 9 × `priorityAgingMs` after it. The rank
 * never changes, so the waiting list stays sorted without re-sorting. A task requeued after an
 * attempt keeps its rank.
 *
 * Delays: a task is not listed before it is due (its `notBefore`, or the `retryAt` of its failed
 * attempt); a deadline at that time lists it.
 *
 * Deadlines: the pending deadline runs while a task waits, from the time it became due or from the
 * end of its last attempt; the run timeout from the assignment (plus a grace); an offer expires after
 * the offer timeout. A task no node can take stays waiting without holding up the tasks behind it.
 */
export class TaskQueue {
  private readonly options: Required<TaskQueueOptions>;
  private readonly tasks = new Map<string, QueuedTask>();
  /** Waiting tasks, oldest first. */
  private waiting: QueuedTask[] = [];
  private readonly deadlines = new IndexedHeap<string, number>((a, b) => a < b);
  /** Ended tasks remembered: why each failed, or the attempt whose result ended it. */
  private readonly ended = new Map<string, TaskFailureReason | number>();
  /** The last RECENTLY_ENDED_KEPT tasks to end, as they were just before: see `lastSeen`. */
  private readonly recentlyEnded = new Map<string, EndedTask>();
  private nextOfferId = 1;
  private waitingChanged = true;
  private matchedAtCapacity = -1;

  constructor(
    private readonly registry: NodeRegistry,
    options: TaskQueueOptions,
  ) {
    this.options = {
      endedMemory: DEFAULT_ENDED_MEMORY,
      priorityAgingMs: DEFAULT_PRIORITY_AGING_MS,
      ...options,
    };
  }

  get size(): number {
    return this.tasks.size;
  }

  /** Waiting tasks that are due (not held by a delay). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  get(taskId: string): QueuedTaskView | undefined {
    const queued = this.tasks.get(taskId);
    if (queued === undefined) return undefined;
    const { placement } = queued;
    switch (placement.phase) {
      case 'waiting':
        return view(queued, 'waiting', null, queued.attempts + 1);
      case 'offered':
        return view(queued, 'offered', placement.offer.nodeId, placement.offer.attempt);
      case 'assigned':
        return view(queued, 'assigned', placement.nodeId, placement.attempt);
      default:
        return unknownPlacement(placement);
    }
  }

  /**
   * Waiting tasks counted by a class of their requirements (`classOf` must return few distinct
   * values): for metrics, read at a scrape, never on the matching path.
   */
  countWaiting<Class>(classOf: (requirements: TaskRequirements) => Class): Map<Class, number> {
    const counts = new Map<Class, number>();
    for (const queued of this.waiting) {
      if (!isWaiting(queued)) continue;
      const key = classOf(queued.task.requirements);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** Whether the task is unfinished, or ended recently enough to be remembered. */
  knows(taskId: string): boolean {
    return this.tasks.has(taskId) || this.ended.has(taskId);
  }

  /**
   * The task as queued, or as it was just before it ended when that was among the last
   * RECENTLY_ENDED_KEPT tasks to end. What a reader of a terminal event needs even when the event
   * reached the queue first by another way: the scheduler's own append is applied when the append
   * answers, and the log's follower may bring the same event a moment before that.
   */
  lastSeen(taskId: string): QueuedTaskView | undefined {
    return this.get(taskId) ?? this.recentlyEnded.get(taskId)?.view;
  }

  /** The account of an unfinished task, or of one that ended recently (see `lastSeen`). */
  accountOf(taskId: string): string | undefined {
    return this.tasks.get(taskId)?.task.accountId ?? this.recentlyEnded.get(taskId)?.accountId;
  }

  /** The metadata of an unfinished task's TaskIssued (its request and trace); undefined otherwise. */
  issuedMetadataOf(taskId: string): TaskIssued['metadata'] | undefined {
    return this.tasks.get(taskId)?.issuedMetadata;
  }

  /**
   * Whether applying the event at `streamVersion` of the task's stream would change nothing: it was
   * applied already, or the task ended. Lets a feed skip parsing what it would throw away.
   */
  hasApplied(taskId: string, streamVersion: number): boolean {
    const queued = this.tasks.get(taskId);
    if (queued !== undefined) return streamVersion <= queued.version;
    return this.ended.has(taskId);
  }

  /** Attempts currently assigned to the node. */
  assignedTo(nodeId: string): RunningTask[] {
    const attempts: RunningTask[] = [];
    for (const queued of this.tasks.values()) {
      const { placement } = queued;
      if (placement.phase === 'assigned' && placement.nodeId === nodeId)
        attempts.push({ taskId: queued.task.taskId, attempt: placement.attempt });
    }
    return attempts;
  }

  /**
   * Applies the event at `streamVersion` of its task's stream. Events must come in stream order: a
   * version already applied is a duplicate and is ignored, and so is one that skips a version (its
   * predecessors will come from the event store subscription, and it with them).
   */
  apply(event: TaskEvent, streamVersion: number, nowMs: number): void {
    const { taskId } = event.data;
    const queued = this.tasks.get(taskId);
    if (event.type === 'TaskIssued') {
      if (queued !== undefined || streamVersion !== 1 || this.ended.has(taskId)) return;
      const issuedAtMs = Date.parse(event.data.issuedAt);
      const { notBefore, priority = DEFAULT_TASK_PRIORITY } = event.data;
      const dueAtMs = Math.max(issuedAtMs, notBefore === undefined ? 0 : Date.parse(notBefore));
      const added: QueuedTask = {
        task: event.data,
        issuedMetadata: event.metadata,
        issuedAtMs,
        rankMs: dueAtMs - priority * this.options.priorityAgingMs,
        listed: false,
        heldUntilMs: notBefore === undefined ? Number.NEGATIVE_INFINITY : Date.parse(notBefore),
        allowanceMs: 0,
        version: 1,
        attempts: 0,
        placement: { phase: 'waiting', sinceMs: dueAtMs },
      };
      this.tasks.set(taskId, added);
      this.waitUntilDue(added, nowMs);
      return;
    }
    if (queued === undefined || streamVersion !== queued.version + 1) return;
    queued.version = streamVersion;
    switch (event.type) {
      case 'TaskAssigned': {
        const { nodeId, attempt, assignedAt } = event.data;
        const { placement } = queued;
        const waitedSinceMs =
          placement.phase === 'assigned' ? Date.parse(assignedAt) : placement.sinceMs;
        this.leavePlacement(queued, nodeId);
        this.registry.hold(nodeId, taskId, nowMs);
        queued.attempts = Math.max(queued.attempts, attempt);
        queued.placement = {
          phase: 'assigned',
          nodeId,
          attempt,
          assignedAtMs: Date.parse(assignedAt),
          waitedSinceMs,
          ending: null,
        };
        this.schedule(queued);
        return;
      }
      case 'TaskUnassigned': {
        const { placement } = queued;
        if (placement.phase !== 'assigned' || placement.attempt !== event.data.attempt) return;
        this.registry.release(placement.nodeId, taskId);
        // A refused attempt never ran: the task has been waiting all along.
        const sinceMs =
          event.data.reason === 'REJECTED' ? placement.waitedSinceMs : Date.parse(event.data.at);
        queued.placement = { phase: 'waiting', sinceMs };
        this.enqueue(queued);
        this.schedule(queued);
        return;
      }
      case 'TaskAttemptFailed': {
        // The function answered with a status its retry policy retries: back to waiting, due again
        // once the backoff is over.
        const { placement } = queued;
        if (placement.phase !== 'assigned' || placement.attempt !== event.data.attempt) return;
        this.registry.release(placement.nodeId, taskId);
        queued.heldUntilMs = Date.parse(event.data.retryAt);
        queued.placement = { phase: 'waiting', sinceMs: queued.heldUntilMs };
        this.waitUntilDue(queued, nowMs);
        return;
      }
      case 'TaskProgressed':
        return;
      case 'TaskFinished':
      case 'TaskFailed': {
        const last = this.get(taskId);
        this.leavePlacement(queued, null);
        this.tasks.delete(taskId);
        this.deadlines.delete(taskId);
        this.remember(taskId, event.type === 'TaskFailed' ? event.data.reason : event.data.attempt);
        if (last !== undefined)
          this.keepEnded(taskId, { view: last, accountId: queued.task.accountId });
        return;
      }
      default:
        return unknownEvent(event);
    }
  }

  /**
   * Offers for the waiting tasks, oldest first, each to the best node with a free slot (which the
   * offer then holds). Tasks no node can take are passed over, as are tasks past their pending
   * deadline. Cheap when nothing changed since the last full pass (no new waiting task, no new
   * capacity).
   */
  nextOffers(nowMs: number, limit = Number.POSITIVE_INFINITY): Offer[] {
    const capacity = this.registry.capacityVersion;
    if (!this.waitingChanged && capacity === this.matchedAtCapacity) return [];
    const offers: Offer[] = [];
    const unmatched = new Set<string>();
    let complete = true;
    for (const queued of this.waiting) {
      if (offers.length >= limit) {
        complete = false;
        break;
      }
      if (this.registry.totalFreeSlots === 0) break;
      const { placement } = queued;
      if (placement.phase !== 'waiting') continue;
      if (nowMs >= this.pendingDeadlineMs(queued, placement.sinceMs)) continue;
      const requirementsKey = keyOf(queued.task.requirements);
      if (unmatched.has(requirementsKey)) continue;
      const nodeId = this.registry.bestNodeFor(queued.task.requirements);
      if (nodeId === undefined) {
        unmatched.add(requirementsKey);
        continue;
      }
      const offer: Offer = {
        offerId: this.nextOfferId++,
        taskId: queued.task.taskId,
        nodeId,
        attempt: queued.attempts + 1,
        task: queued.task,
        issuedMetadata: queued.issuedMetadata,
        expiresAtMs: nowMs + this.options.offerTimeoutMs,
      };
      this.registry.hold(nodeId, offer.taskId, nowMs);
      // Offered: it leaves the waiting list (filtered out below, after the loop over it).
      queued.listed = false;
      queued.placement = { phase: 'offered', sinceMs: placement.sinceMs, offer, accepted: false };
      this.schedule(queued);
      offers.push(offer);
    }
    if (offers.length > 0) this.waiting = this.waiting.filter(isWaiting);
    if (complete) {
      this.waitingChanged = false;
      this.matchedAtCapacity = this.registry.capacityVersion;
    }
    return offers;
  }

  /**
   * A free slot for a task about to be issued, so that its issue and its first assignment can be
   * recorded together: the best node for `requirements`, held for `taskId` from now on (the task's
   * TaskAssigned keeps holding it; {@link releaseClaim} gives it back when none is recorded).
   * Undefined when no node can take it, and whenever a task already waiting might use a free slot
   * (the waiting list changed, or a slot was freed, since the last full {@link nextOffers}): a new
   * task never goes before a waiting one it could be matched with.
   */
  claimForNewTask(
    taskId: string,
    requirements: TaskRequirements,
    nowMs: number,
  ): string | undefined {
    if (this.tasks.has(taskId) || this.ended.has(taskId)) return undefined;
    if (this.registry.totalFreeSlots === 0) return undefined;
    const settled =
      !this.waitingChanged && this.registry.capacityVersion === this.matchedAtCapacity;
    if (this.waiting.length > 0 && !settled) return undefined;
    const nodeId = this.registry.bestNodeFor(requirements);
    if (nodeId === undefined) return undefined;
    this.registry.hold(nodeId, taskId, nowMs);
    return nodeId;
  }

  /** The claimed slot was not used (the task was not recorded as assigned to that node): free it. */
  releaseClaim(taskId: string, nodeId: string): void {
    const placement = this.tasks.get(taskId)?.placement;
    const kept =
      (placement?.phase === 'assigned' && placement.nodeId === nodeId) ||
      (placement?.phase === 'offered' && placement.offer.nodeId === nodeId);
    if (!kept) this.registry.release(nodeId, taskId);
  }

  /**
   * The node accepted: the offer stops expiring while the app records the assignment. False when the
   * offer is no longer current (it expired, or the task moved on): the node must be told to drop it.
   */
  offerAccepted(taskId: string, offerId: number): boolean {
    const placement = this.currentOffer(taskId, offerId);
    if (placement === undefined) return false;
    placement.accepted = true;
    this.deadlines.delete(taskId);
    return true;
  }

  /** The node rejected the offer or did not answer: the task waits again, the node is paused. */
  offerDeclined(taskId: string, offerId: number, nowMs: number): void {
    const placement = this.currentOffer(taskId, offerId);
    if (placement === undefined) return;
    this.backToWaiting(taskId, placement);
    this.registry.pause(placement.offer.nodeId, nowMs + this.options.offerCooldownMs);
  }

  /** The assignment could not be recorded (the node is told to drop it): the task waits again. */
  offerWithdrawn(taskId: string, offerId: number): void {
    const placement = this.currentOffer(taskId, offerId);
    if (placement !== undefined) this.backToWaiting(taskId, placement);
  }

  /**
   * The node was lost or left: every attempt assigned to it must be unassigned, and every offer to
   * it is void (a late acceptance is answered with a cancellation).
   */
  nodeGone(nodeId: string, nowMs: number): void {
    for (const queued of [...this.tasks.values()]) {
      const { placement } = queued;
      if (placement.phase === 'assigned' && placement.nodeId === nodeId)
        this.markEnding(queued, nowMs, undefined);
      if (placement.phase === 'offered' && placement.offer.nodeId === nodeId)
        this.backToWaiting(queued.task.taskId, placement);
    }
  }

  /**
   * The node told which attempts it runs (announcing, or in a heartbeat): the ones assigned to it
   * before `assignedBeforeMs` that it does not list are not running there (it restarted, or never
   * got its assignment) and must be unassigned. Later assignments may still be on their way to it.
   */
  nodeRunning(
    nodeId: string,
    running: readonly RunningTask[],
    nowMs: number,
    assignedBeforeMs: number = nowMs,
  ): void {
    const owned = new Set(running.map((attempt) => `${attempt.taskId}#${attempt.attempt}`));
    for (const queued of this.tasks.values()) {
      const { placement } = queued;
      if (
        placement.phase === 'assigned' &&
        placement.nodeId === nodeId &&
        placement.assignedAtMs < assignedBeforeMs &&
        !owned.has(`${queued.task.taskId}#${placement.attempt}`)
      )
        this.markEnding(queued, nowMs, 'NODE_LOST');
    }
  }

  /**
   * The node refused the attempt recorded for it, or never answered: it must be unassigned with
   * `reason` (handed out as an EndAttempt deadline until it is).
   */
  attemptNotTaken(
    taskId: string,
    attempt: number,
    reason: 'REJECTED' | 'START_DEADLINE_MISSED',
    nowMs: number,
  ): void {
    const queued = this.tasks.get(taskId);
    if (queued?.placement.phase !== 'assigned' || queued.placement.attempt !== attempt) return;
    this.registry.pause(queued.placement.nodeId, nowMs + this.options.offerCooldownMs);
    this.markEnding(queued, nowMs, reason);
  }

  /**
   * The platform was away for `outageMs` (its database, NATS, or its leader): none of that time
   * counts against the active tasks' pending deadlines and run timeouts, and none of their deadlines
   * falls due before `nowMs + graceMs`, so that what nodes could not deliver meanwhile can arrive.
   */
  forgiveOutage(outageMs: number, nowMs: number, graceMs: number): void {
    for (const queued of this.tasks.values()) {
      const { placement } = queued;
      if (placement.phase === 'assigned' && placement.ending !== null) continue;
      queued.allowanceMs += Math.max(0, outageMs);
      this.schedule(queued);
      // A delayed task's deadline is the time it becomes due, not a failure: it stays.
      if (placement.phase === 'waiting' && !queued.listed) continue;
      const { taskId } = queued.task;
      const due = this.deadlines.get(taskId);
      if (due !== undefined && due < nowMs + graceMs) this.deadlines.set(taskId, nowMs + graceMs);
    }
    this.waitingChanged = true;
  }

  /**
   * Whether the attempt is over according to the events: its task ended (and is remembered), or has
   * moved on to a later attempt. An attempt of a task not known is not judged: its events may still
   * be on their way (issued and assigned by another scheduler a moment ago).
   */
  attemptIsOver(taskId: string, attempt: number): boolean {
    const current = this.get(taskId);
    if (current === undefined) return this.ended.has(taskId);
    return current.attempt > attempt;
  }

  /**
   * How a remembered ended task ended according to its events: the reason it failed for (a timeout,
   * a cancellation, its node lost...), or the attempt whose result ended it; undefined for a task
   * that has not ended, or ended too long ago to be remembered.
   */
  endingOf(taskId: string): TaskEnding | undefined {
    const ending = this.ended.get(taskId);
    if (ending === undefined) return undefined;
    return typeof ending === 'number'
      ? { kind: 'finished', attempt: ending }
      : { kind: 'failed', reason: ending };
  }

  /** Whether the node holds this attempt according to the events: an announced attempt we know. */
  isAssigned(taskId: string, nodeId: string, attempt: number): boolean {
    const placement = this.tasks.get(taskId)?.placement;
    if (placement === undefined) return false;
    if (placement.phase === 'assigned')
      return placement.nodeId === nodeId && placement.attempt === attempt;
    if (placement.phase === 'offered')
      return placement.offer.nodeId === nodeId && placement.offer.attempt === attempt;
    return false;
  }

  /** The deadlines passed at `nowMs`, oldest first. Expired offers are already undone. */
  deadlinesDue(nowMs: number): DueDeadline[] {
    const due: DueDeadline[] = [];
    for (let next = this.deadlines.peek(); next !== undefined && next.value <= nowMs;) {
      const queued = this.tasks.get(next.key);
      if (queued === undefined) {
        this.deadlines.delete(next.key);
      } else {
        const deadline = this.fire(queued, nowMs);
        if (deadline !== undefined) due.push(deadline);
      }
      next = this.deadlines.peek();
    }
    return due;
  }

  private fire(queued: QueuedTask, nowMs: number): DueDeadline | undefined {
    const { placement } = queued;
    const { taskId } = queued.task;
    switch (placement.phase) {
      case 'waiting':
        if (!queued.listed) {
          // Its delay is over: it joins the waiting tasks, and its pending deadline starts.
          this.enqueue(queued);
          this.schedule(queued);
          return undefined;
        }
        this.deadlines.set(taskId, nowMs + this.options.deadlineRetryMs);
        return { kind: 'PendingDeadline', taskId, waitingSinceMs: placement.sinceMs };
      case 'offered': {
        const { offer } = placement;
        this.backToWaiting(taskId, placement);
        this.registry.pause(offer.nodeId, nowMs + this.options.offerCooldownMs);
        return { kind: 'OfferExpired', taskId, nodeId: offer.nodeId, attempt: offer.attempt };
      }
      case 'assigned': {
        this.deadlines.set(taskId, nowMs + this.options.deadlineRetryMs);
        const { nodeId, attempt } = placement;
        return placement.ending !== null
          ? { kind: 'EndAttempt', taskId, nodeId, attempt, reason: placement.ending.reason }
          : { kind: 'RunTimeout', taskId, nodeId, attempt };
      }
      default:
        return unknownPlacement(placement);
    }
  }

  private schedule(queued: QueuedTask): void {
    const { placement } = queued;
    const { taskId } = queued.task;
    switch (placement.phase) {
      case 'waiting':
        this.deadlines.set(
          taskId,
          queued.listed ? this.pendingDeadlineMs(queued, placement.sinceMs) : queued.heldUntilMs,
        );
        return;
      case 'offered':
        if (placement.accepted) this.deadlines.delete(taskId);
        else this.deadlines.set(taskId, placement.offer.expiresAtMs);
        return;
      case 'assigned':
        this.deadlines.set(
          taskId,
          placement.ending?.sinceMs ??
            placement.assignedAtMs +
              queued.task.timeout * 1000 +
              this.options.runTimeoutGraceMs +
              queued.allowanceMs,
        );
        return;
      default:
        return unknownPlacement(placement);
    }
  }

  private pendingDeadlineMs(queued: QueuedTask, waitingSinceMs: number): number {
    return waitingSinceMs + queued.task.pendingDeadline * 1000 + queued.allowanceMs;
  }

  private markEnding(queued: QueuedTask, nowMs: number, reason: UnassignReason | undefined): void {
    const { placement } = queued;
    if (placement.phase !== 'assigned' || placement.ending !== null) return;
    placement.ending = { sinceMs: nowMs, reason };
    this.schedule(queued);
  }

  private currentOffer(
    taskId: string,
    offerId: number,
  ): Extract<Placement, { phase: 'offered' }> | undefined {
    const placement = this.tasks.get(taskId)?.placement;
    return placement?.phase === 'offered' && placement.offer.offerId === offerId
      ? placement
      : undefined;
  }

  private backToWaiting(taskId: string, placement: Extract<Placement, { phase: 'offered' }>): void {
    const queued = this.tasks.get(taskId);
    if (queued === undefined) return;
    this.registry.release(placement.offer.nodeId, taskId);
    queued.placement = { phase: 'waiting', sinceMs: placement.sinceMs };
    this.enqueue(queued);
    this.schedule(queued);
  }

  /** Ends the current placement; the slot stays held when the task moves to `keptNodeId`. */
  private leavePlacement(queued: QueuedTask, keptNodeId: string | null): void {
    const { placement } = queued;
    const { taskId } = queued.task;
    switch (placement.phase) {
      case 'waiting':
        this.dequeue(queued);
        return;
      case 'offered':
        if (placement.offer.nodeId !== keptNodeId)
          this.registry.release(placement.offer.nodeId, taskId);
        return;
      case 'assigned':
        if (placement.nodeId !== keptNodeId) this.registry.release(placement.nodeId, taskId);
        return;
      default:
        return unknownPlacement(placement);
    }
  }

  /** Lists a waiting task if it is due at `nowMs`; otherwise its deadline lists it when it is. */
  private waitUntilDue(queued: QueuedTask, nowMs: number): void {
    if (queued.heldUntilMs > nowMs) {
      this.dequeue(queued);
      this.schedule(queued);
      return;
    }
    this.enqueue(queued);
    this.schedule(queued);
  }

  private enqueue(queued: QueuedTask): void {
    if (queued.listed) return;
    this.waiting.splice(this.waitingPosition(queued), 0, queued);
    queued.listed = true;
    this.waitingChanged = true;
  }

  private dequeue(queued: QueuedTask): void {
    if (!queued.listed) return;
    queued.listed = false;
    const position = this.waitingPosition(queued);
    if (this.waiting[position] === queued) this.waiting.splice(position, 1);
  }

  /** Where the task is, or belongs, in the waiting list (binary search on rank, then id). */
  private waitingPosition(queued: QueuedTask): number {
    let low = 0;
    let high = this.waiting.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (comesBefore(this.waiting[middle] as QueuedTask, queued)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private keepEnded(taskId: string, ended: EndedTask): void {
    this.recentlyEnded.set(taskId, ended);
    if (this.recentlyEnded.size <= RECENTLY_ENDED_KEPT) return;
    // A Map iterates in insertion order: the first one is the oldest.
    for (const oldest of this.recentlyEnded.keys()) {
      this.recentlyEnded.delete(oldest);
      break;
    }
  }

  private remember(taskId: string, ending: TaskFailureReason | number): void {
    this.ended.set(taskId, ending);
    if (this.ended.size <= this.options.endedMemory) return;
    // A Map iterates in insertion order: the first one is the oldest.
    for (const oldest of this.ended.keys()) {
      this.ended.delete(oldest);
      break;
    }
  }
}

function comesBefore(a: QueuedTask, b: QueuedTask): boolean {
  if (a.rankMs !== b.rankMs) return a.rankMs < b.rankMs;
  return a.task.taskId < b.task.taskId;
}

function isWaiting(queued: QueuedTask): boolean {
  return queued.placement.phase === 'waiting';
}

function keyOf(requirements: TaskRequirements): string {
  const { cpuCount, memSize, networkLatency, privileged } = requirements;
  return `${cpuCount}/${memSize}/${networkLatency}/${privileged ? 'p' : 'u'}`;
}

function view(
  queued: QueuedTask,
  phase: QueuedTaskPhase,
  nodeId: string | null,
  attempt: number,
): QueuedTaskView {
  return {
    taskId: queued.task.taskId,
    phase,
    nodeId,
    attempt,
    streamVersion: queued.version,
    issuedAtMs: queued.issuedAtMs,
    assignedAtMs: queued.placement.phase === 'assigned' ? queued.placement.assignedAtMs : null,
  };
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled task event ${JSON.stringify(event)}`);
}

function unknownPlacement(placement: never): never {
  throw new Error(`Unhandled placement ${JSON.stringify(placement)}`);
}
