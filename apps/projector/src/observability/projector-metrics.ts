import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ProjectorLag } from './projector-lag.js';

/** What the projector's loop tells its metrics. */
export interface BatchObserver {
  batchCommitted(events: number, seconds: number): void;
  batchFailed(): void;
}

/**
 * The projector's metrics: batches (size, time, failures), events applied, and its lag (in events
 * and seconds) measured at each scrape when the event store can say (PostgreSQL).
 */
export class ProjectorMetrics implements BatchObserver {
  private readonly events: Counter;
  private readonly batchSize: Histogram;
  private readonly batchSeconds: Histogram;
  private readonly failures: Counter;

  constructor(registry: Registry, lag: (() => Promise<ProjectorLag>) | undefined) {
    const registers = [registry];
    this.events = new Counter({
      name: 'canopy_projector_events_total',
      help: 'Events applied to the read models.',
      registers,
    });
    this.batchSize = new Histogram({
      name: 'canopy_projector_batch_size',
      help: 'Events applied by one committed batch.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'canopy_projector_batch_duration_seconds',
      help: 'Time to apply and commit one batch.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.failures = new Counter({
      name: 'canopy_projector_batch_failures_total',
      help: 'Batches that failed and were retried from the last committed checkpoint.',
      registers,
    });
    if (lag === undefined) return;
    new Gauge({
      name: 'canopy_projector_lag_events',
      help: `Events in the event store not yet applied to the read models (counted up to 100000).`,
      registers,
      async collect() {
        // While the database does not answer, the last value stays (readiness says why).
        const measured = await lag().catch(() => undefined);
        if (measured !== undefined) this.set(measured.events);
      },
    });
    new Gauge({
      name: 'canopy_projector_lag_seconds',
      help: 'Age of the oldest event not yet applied to the read models; 0 when none waits.',
      registers,
      async collect() {
        const measured = await lag().catch(() => undefined);
        if (measured !== undefined) this.set(measured.seconds);
      },
    });
  }

  batchCommitted(events: number, seconds: number): void {
    this.events.inc(events);
    this.batchSize.observe(events);
    this.batchSeconds.observe(seconds);
  }

  batchFailed(): void {
    this.failures.inc();
  }
}
