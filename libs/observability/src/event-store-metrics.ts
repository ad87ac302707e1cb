import { Counter, Histogram, type Registry } from 'prom-client';

/** What an append's failure was, for the `error` label: a bounded set. */
export type AppendErrorKind = 'conflict' | 'fenced' | 'unavailable' | 'other';

/**
 * The event store's appends as the process sees them (`@canopy/event-store`'s `observedEventStore`
 * reports to it): latency and size of each append call, and failures by kind.
 */
export class EventStoreMetrics {
  private readonly duration: Histogram;
  private readonly batchSize: Histogram;
  private readonly errors: Counter<'error'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'canopy_event_store_append_duration_seconds',
      help: 'Time from an append call to its outcome (group commit included).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'canopy_event_store_append_batch_size',
      help: 'Events written by one successful append call.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 500, 1000],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'canopy_event_store_append_errors_total',
      help: 'Appends that failed: conflict (expected version or event id), fenced (the lease they depended on had moved on), unavailable (store away), other.',
      labelNames: ['error'],
      registers: [registry],
    });
    for (const error of ['conflict', 'fenced', 'unavailable', 'other'] as const)
      this.errors.inc({ error }, 0);
  }

  appended(events: number, seconds: number): void {
    this.duration.observe(seconds);
    this.batchSize.observe(events);
  }

  appendFailed(kind: AppendErrorKind, seconds: number): void {
    this.duration.observe(seconds);
    this.errors.inc({ error: kind });
  }
}
