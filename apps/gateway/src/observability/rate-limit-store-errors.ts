import type { ServiceLogger } from '@canopy/service-runtime';
import { Counter, type Registry } from 'prom-client';

/** At most one warning per this many milliseconds while the store keeps failing. */
const WARN_EVERY_MS = 10_000;

/**
 * What the gateway does when the rate-limit store (PostgreSQL) could not count a request, which it
 * then counted in its own memory: counts it (`canopy_rate_limit_store_errors_total`) and warns, at
 * most every 10 s, with how many requests were counted in memory since the last warning.
 */
export class RateLimitStoreErrors {
  private readonly errors: Counter;
  private lastWarnedAt = Number.NEGATIVE_INFINITY;
  private sinceWarned = 0;

  constructor(
    registry: Registry,
    private readonly logger: ServiceLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.errors = new Counter({
      name: 'canopy_rate_limit_store_errors_total',
      help: 'Requests the rate-limit store could not count, counted in the gateway process instead.',
      registers: [registry],
    });
  }

  readonly report = (error: unknown): void => {
    this.errors.inc();
    this.sinceWarned += 1;
    if (this.now() - this.lastWarnedAt < WARN_EVERY_MS) return;
    this.logger.warn(
      { err: error, countedInMemory: this.sinceWarned },
      'the rate-limit store could not count requests: this gateway counts them on its own',
    );
    this.lastWarnedAt = this.now();
    this.sinceWarned = 0;
  };
}
