import type { Migration } from 'kysely';
import * as createRateLimitCounters from './2026_12_07_10_00_00_create_rate_limit_counters.js';

/** Every migration of the rate_limits schema, by name; names sort in the order they apply. Append only. */
export const rateLimitMigrations: Readonly<Record<string, Migration>> = {
  '2026_12_07_10_00_00_create_rate_limit_counters': createRateLimitCounters,
};
