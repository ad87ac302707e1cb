export {
  InvalidIdempotencyKeyError,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parseIdempotencyKey,
  requestFingerprint,
} from './idempotency-key.js';
export type { RequestIdentity } from './idempotency-key.js';
export {
  claimIdempotencyKey,
  completeIdempotencyKey,
  purgeExpiredIdempotencyKeys,
} from './idempotency-keys.js';
export type { ClaimedKey, KeyClaim } from './idempotency-keys.js';
export type { IdempotencyDatabase, IdempotencyKeyRow } from './idempotency-keys-table.js';
export { createIdempotencyDb } from './idempotency-db.js';
export { migrateIdempotency } from './migrate-idempotency.js';
