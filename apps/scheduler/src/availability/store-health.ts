import { setTimeout as delay } from 'node:timers/promises';
import { EventStoreUnavailableError } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import type { ServiceLogger } from '@canopy/service-runtime';

export interface StoreHealthOptions {
  readonly store: EventStore;
  readonly logger: ServiceLogger;
  /** How often the store is asked while it does not answer. */
  readonly probeEveryMs: number;
  /** Monotonic clock, ms. */
  readonly now: () => number;
  /** The store answers again after `outageMs` without it. */
  readonly onRecovered: (outageMs: number) => void;
}

/**
 * Whether the event store answers, as the scheduler's own operations find out. While it does not,
 * the scheduler offers nothing and acts on no deadline (nothing it decides could be recorded, and
 * offers it could not record would spin); it asks the store with a cheap read until it answers,
 * then reports how long the outage lasted, so that deadlines can be moved by as much.
 */
export class StoreHealth {
  private downSinceMs: number | undefined;
  private readonly stopping = new AbortController();
  private probing: Promise<void> | undefined;

  constructor(private readonly options: StoreHealthOptions) {}

  get available(): boolean {
    return this.downSinceMs === undefined;
  }

  /** Looks at a failure of an operation on the store: one that says it is unavailable starts an outage. */
  observe(error: unknown): void {
    if (!(error instanceof EventStoreUnavailableError) || this.downSinceMs !== undefined) return;
    if (this.stopping.signal.aborted) return;
    this.downSinceMs = this.options.now();
    this.options.logger.warn({ reason: error.message }, 'the event store is unavailable; pausing');
    this.probing = this.probe();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.probing;
  }

  private async probe(): Promise<void> {
    const { store, probeEveryMs, logger, now, onRecovered } = this.options;
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await delay(probeEveryMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      try {
        await store.readStream('scheduler-probe', { maxCount: 1 });
      } catch {
        continue;
      }
      const outageMs = now() - (this.downSinceMs ?? now());
      this.downSinceMs = undefined;
      logger.info({ outageMs: Math.round(outageMs) }, 'the event store answers again; resuming');
      onRecovered(outageMs);
      return;
    }
  }
}
