import type { EventStore, RecordedEvent } from '@canopy/event-store';

/**
 * A subscription read a chosen number of events at a time: the rebuild must stop exactly at the
 * live projector's position, which may fall inside a batch. What it does not take stays for later.
 */
export class EventFeed {
  private readonly closing = new AbortController();
  private readonly batches: AsyncIterator<RecordedEvent[]>;
  private waiting: RecordedEvent[] = [];

  constructor(store: EventStore, from: string | null, batchSize: number) {
    this.batches = store
      .subscribeToAll({ from: from ?? undefined, batchSize, signal: this.closing.signal })
      [Symbol.asyncIterator]();
  }

  /** The next 1 to `max` events, waiting for the store if none is available yet. */
  async take(max: number): Promise<RecordedEvent[]> {
    while (this.waiting.length === 0) {
      const next = await this.batches.next();
      if (next.done === true) throw new Error('the event store subscription ended');
      this.waiting = next.value;
    }
    const taken = this.waiting.slice(0, max);
    this.waiting = this.waiting.slice(max);
    return taken;
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.batches.return?.();
  }
}
