export { Leadership } from './leadership.js';
export type { LeadershipLogger, LeadershipOptions, LeadershipRole } from './leadership.js';
export { PostgresLeases } from './postgres-leases.js';
export type { LeaseRecord } from './postgres-leases.js';
export { migrateLeadership } from './migrate-leadership.js';
