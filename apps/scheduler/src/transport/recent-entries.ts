/**
 * The last `capacity` entries set, by key: setting a key again makes it the newest, and the oldest
 * make room. For what the scheduler remembers only to save work or to say more (reports already
 * acknowledged, the reasons of cancellations sent): forgetting an entry may cost a read or a
 * vaguer message, never a wrong answer.
 */
export class RecentEntries<Value> {
  private readonly entries = new Map<string, Value>();

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${String(capacity)}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Value | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: Value): void {
    // Map iteration follows insertion order: the first key is the one set longest ago.
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size <= this.capacity) return;
    const oldest = this.entries.keys().next();
    if (oldest.done !== true) this.entries.delete(oldest.value);
  }
}
