/** A stream's state folded up to a version (the number of events folded). */
export interface StreamState<State> {
  readonly state: State;
  readonly version: number;
}

/** Where a command handler remembers states between commands. */
export interface StreamStateCache<State> {
  get(streamId: string): StreamState<State> | undefined;
  set(streamId: string, entry: StreamState<State>): void;
  delete(streamId: string): void;
}

/**
 * The most recently used states, at most `capacity` of them (`Infinity` keeps every one): the streams
 * a process is working on stay, the ones it stopped touching make room. A remembered state may be
 * behind its stream; the command handler finds out at its next append and catches up. A state is
 * never replaced by one of an older version, so several writers (a handler, a subscription) may feed
 * the same cache.
 */
export class RecentStreamStates<State> implements StreamStateCache<State> {
  private readonly entries = new Map<string, StreamState<State>>();

  constructor(private readonly capacity: number) {
    const bounded = Number.isSafeInteger(capacity) && capacity >= 1;
    if (!bounded && capacity !== Number.POSITIVE_INFINITY) {
      throw new RangeError(`capacity must be a positive integer, got ${String(capacity)}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(streamId: string): StreamState<State> | undefined {
    const entry = this.entries.get(streamId);
    if (entry === undefined) return undefined;
    // Map iteration follows insertion order: moving the entry to the end keeps it recent.
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    return entry;
  }

  set(streamId: string, entry: StreamState<State>): void {
    const known = this.entries.get(streamId);
    // Whoever learnt more recently of the stream may have learnt less: never go back.
    if (known !== undefined && known.version > entry.version) return;
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(streamId: string): void {
    this.entries.delete(streamId);
  }
}
