/** One attempt of one task, as the heartbeat lists it. */
export interface AttemptRef {
  readonly taskId: string;
  readonly attempt: number;
}

export type Admission =
  /** Take the attempt: a slot is now held for it. */
  | { readonly kind: 'admitted' }
  /** The attempt is already running, reporting or done here: accept again, run nothing. */
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly reason: RejectionReason };

export type RejectionReason = 'NO_FREE_SLOT' | 'NODE_STOPPING';

type AttemptState = 'running' | 'reporting';

/**
 * What the node owns: attempts running (each holds one of `slots`), attempts whose handler is done
 * but whose result the scheduler has not acknowledged yet (they hold no slot, but the node still
 * owns them and lists them as running), and a bounded memory of settled attempts so that a
 * redelivered assignment is not run twice.
 */
export class SlotLedger {
  private readonly owned = new Map<string, { ref: AttemptRef; state: AttemptState }>();
  private readonly settled = new Set<string>();
  private runningCount = 0;
  private closed = false;

  constructor(
    readonly slots: number,
    private readonly settledMemory = 1_024,
  ) {
    if (!Number.isInteger(slots) || slots < 1) {
      throw new RangeError(`slots must be a positive integer, got ${slots}`);
    }
  }

  get freeSlots(): number {
    return this.slots - this.runningCount;
  }

  /** False once {@link close}d. */
  get acceptsWork(): boolean {
    return !this.closed;
  }

  admit(ref: AttemptRef): Admission {
    const key = attemptKey(ref);
    if (this.owned.has(key) || this.settled.has(key)) return { kind: 'duplicate' };
    if (this.closed) return { kind: 'rejected', reason: 'NODE_STOPPING' };
    if (this.freeSlots === 0) return { kind: 'rejected', reason: 'NO_FREE_SLOT' };
    this.owned.set(key, { ref: { taskId: ref.taskId, attempt: ref.attempt }, state: 'running' });
    this.runningCount += 1;
    return { kind: 'admitted' };
  }

  /** The handler is done: free its slot; the attempt stays owned until {@link settle}. */
  finish(ref: AttemptRef): void {
    const entry = this.owned.get(attemptKey(ref));
    if (entry?.state !== 'running') return;
    entry.state = 'reporting';
    this.runningCount -= 1;
  }

  /** The attempt is over for this node (result acknowledged, given up, cancelled or aborted). */
  settle(ref: AttemptRef): void {
    const key = attemptKey(ref);
    const entry = this.owned.get(key);
    if (entry === undefined) return;
    if (entry.state === 'running') this.runningCount -= 1;
    this.owned.delete(key);
    this.settled.add(key);
    // A Set iterates in insertion order, so the first key is the oldest.
    for (const oldest of this.settled) {
      if (this.settled.size <= this.settledMemory) break;
      this.settled.delete(oldest);
    }
  }

  /** From now on every new attempt is rejected with NODE_STOPPING. */
  close(): void {
    this.closed = true;
  }

  isRunning(ref: AttemptRef): boolean {
    return this.owned.get(attemptKey(ref))?.state === 'running';
  }

  /** Attempts the node still owns, running or reporting, for announcements and heartbeats. */
  ownedAttempts(): AttemptRef[] {
    return [...this.owned.values()].map(({ ref }) => ({ ...ref }));
  }
}

export function attemptKey(ref: AttemptRef): string {
  return `${ref.taskId}#${ref.attempt}`;
}
