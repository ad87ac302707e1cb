export { memoryRateLimits, openPostgresRateLimits } from './rate-limit-store.js';
export type {
  PostgresRateLimitOptions,
  RateLimitDecision,
  RateLimitRule,
  RateLimitStore,
  RateLimiter,
} from './rate-limit-store.js';
export { migrateRateLimits } from './migrate-rate-limits.js';
