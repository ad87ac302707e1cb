/**
 * How a caught-up subscription sleeps: until an append may have added events (`wake()`), a timer
 * runs out or its signal aborts. A wake that arrives while the subscription is busy reading is
 * remembered, so the next `wait()` returns at once and nothing is slept through.
 */
export class Wakeup {
  private woken = false;
  private release: (() => void) | undefined;
  private deferred: NodeJS.Timeout | undefined;

  wake(): void {
    clearTimeout(this.deferred);
    this.deferred = undefined;
    this.woken = true;
    this.release?.();
  }

  /**
   * Wakes within `delayMs`: at once if something else wakes it first; otherwise one timer for
   * however many of these arrive meanwhile, so that a stream of them costs one wake-up per delay.
   */
  wakeWithin(delayMs: number): void {
    if (delayMs <= 0) {
      this.wake();
      return;
    }
    if (this.woken || this.deferred !== undefined) return;
    this.deferred = setTimeout(() => this.wake(), delayMs);
    // A pending wake-up must not keep a closing process alive.
    this.deferred.unref();
  }

  /** `timeoutMs` undefined: sleep until woken or aborted. */
  async wait(timeoutMs: number | undefined, signal: AbortSignal): Promise<void> {
    if (!this.woken && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
        signal.addEventListener('abort', done, { once: true });
        this.release = done;
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
      });
      this.release = undefined;
    }
    this.woken = false;
  }
}
