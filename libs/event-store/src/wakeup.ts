/**
 * How a caught-up subscription sleeps: until an append may have added events (`wake()`), a timer
 * runs out or its signal aborts. A wake that arrives while the subscription is busy reading is
 * remembered, so the next `wait()` returns at once and nothing is slept through.
 */
export class Wakeup {
  private woken = false;
  private release: (() => void) | undefined;

  wake(): void {
    this.woken = true;
    this.release?.();
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
