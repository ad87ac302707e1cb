/**
 * Decides which progress values a task sends: only increases count, only the latest value waiting
 * is sent, at most one send is in flight, and nothing is sent once closed (the result is being
 * reported). The sender loop calls {@link take} until it returns undefined.
 */
export class ProgressCoalescer {
  private highest = -1;
  private waiting: number | undefined;
  private sending = false;
  private isClosed = false;

  /**
   * Records a new value. Returns true when the caller must start a sender loop (nothing is in flight);
   * false when the value was ignored or an active loop will pick it up.
   */
  offer(value: number): boolean {
    if (this.isClosed || value <= this.highest) return false;
    this.highest = value;
    this.waiting = value;
    if (this.sending) return false;
    this.sending = true;
    return true;
  }

  /** The value to send next, or undefined when there is none (the sender loop then ends). */
  take(): number | undefined {
    const value = this.isClosed ? undefined : this.waiting;
    this.waiting = undefined;
    if (value === undefined) this.sending = false;
    return value;
  }

  /** A newer value is waiting, so retrying the one in flight is pointless. */
  get superseded(): boolean {
    return this.isClosed || this.waiting !== undefined;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  close(): void {
    this.isClosed = true;
    this.waiting = undefined;
  }
}

/**
 * Checks a progress value from a handler and makes it a whole percentage (rounded down, so a task
 * never claims more than it did). Throws a RangeError for anything outside 0..100.
 */
export function progressPercent(value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new RangeError(`progress must be a number from 0 to 100, got ${String(value)}`);
  }
  return Math.floor(value);
}
