import type { EventStore, RecordedEvent, SubscribeOptions } from '../port/event-store.js';

const defaultPatienceMs = 20_000;

/**
 * Runs `subscribeToAll` in the background and records what it delivers, so a test can append
 * while it runs and then wait for what it expects. A wait gives up after a generous time with a
 * message saying what did arrive (a failure report, not a timing assertion).
 */
export class RecordingSubscription {
  readonly events: RecordedEvent[] = [];
  readonly batchSizes: number[] = [];
  private readonly controller = new AbortController();
  private readonly finished: Promise<void>;
  private readonly listeners = new Set<() => void>();
  private failure: unknown;
  private ended = false;

  constructor(store: EventStore, options: Omit<SubscribeOptions, 'signal'> = {}) {
    this.finished = this.consume(store, options);
  }

  /** True once the iterator has ended (aborted, failed or returned). */
  get hasEnded(): boolean {
    return this.ended;
  }

  async waitFor(
    description: string,
    isComplete: (events: readonly RecordedEvent[]) => boolean,
    patienceMs = defaultPatienceMs,
  ): Promise<RecordedEvent[]> {
    const deadline = Date.now() + patienceMs;
    while (!isComplete(this.events)) {
      if (this.ended) {
        throw new Error(
          `the subscription ended before ${description} (received ${this.events.length} events)`,
          { cause: this.failure },
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `gave up waiting for ${description}: received ${this.events.length} events: ` +
            this.events
              .slice(-20)
              .map((event) => `${event.streamId}@${event.streamVersion}`)
              .join(', '),
        );
      }
      await this.nextChange(remaining);
    }
    return [...this.events];
  }

  waitForIds(ids: Iterable<string>, patienceMs?: number): Promise<RecordedEvent[]> {
    const wanted = new Set(ids);
    return this.waitFor(
      `${wanted.size} events`,
      (events) => {
        const seen = new Set(events.map((event) => event.id));
        return [...wanted].every((id) => seen.has(id));
      },
      patienceMs,
    );
  }

  /** Aborts the subscription and waits for its iterator to end; rethrows what it failed with. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.finished;
    if (this.failure !== undefined) throw this.failure;
  }

  private async consume(store: EventStore, options: Omit<SubscribeOptions, 'signal'>) {
    try {
      for await (const batch of store.subscribeToAll({
        ...options,
        // A test waiting for the signal is woken like one waiting for events.
        ...(options.onCaughtUp === undefined
          ? {}
          : {
              onCaughtUp: () => {
                options.onCaughtUp?.();
                this.changed();
              },
            }),
        signal: this.controller.signal,
      })) {
        this.batchSizes.push(batch.length);
        this.events.push(...batch);
        this.changed();
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.ended = true;
      this.changed();
    }
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private nextChange(patienceMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const listener = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      const timer = setTimeout(listener, patienceMs);
      this.listeners.add(listener);
    });
  }
}
