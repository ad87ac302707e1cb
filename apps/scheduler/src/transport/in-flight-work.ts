import { SchedulerStoppingError } from './rpc-errors.js';

/**
 * The work started by messages and timers, so that stopping can wait for it: once closed, nothing new
 * starts (a request is answered "unavailable, retry"), and `close()` resolves when what was running is
 * done, so its replies go out before the connection is drained.
 */
export class InFlightWork {
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  /** `onFailure` hears of work started with {@link start} that failed although it should not. */
  constructor(private readonly onFailure: (error: unknown) => void = () => undefined) {}

  get accepting(): boolean {
    return !this.closed;
  }

  /** Runs `work`; once closing, throws SchedulerStoppingError instead. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new SchedulerStoppingError();
    const running = work();
    this.running.add(running);
    try {
      return await running;
    } finally {
      this.running.delete(running);
    }
  }

  /** Starts `work` without waiting for it; it should handle its own failures. */
  start(work: () => Promise<void>): void {
    if (this.closed) return;
    const running = work().catch(this.onFailure);
    this.running.add(running);
    void running.finally(() => this.running.delete(running));
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
