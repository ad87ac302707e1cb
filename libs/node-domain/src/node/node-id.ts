import { createHash } from 'node:crypto';

/**
 * The node id of an account's node named `hash`: the first 24 hex characters of
 * sha256(`<accountId>:<hash>`). Deterministic, so a registration needs no lookup and two accounts
 * may use the same hash without colliding or learning of each other; it is a valid NATS subject token.
 */
export function registeredNodeId(accountId: string, hash: string): string {
  return createHash('sha256').update(`${accountId}:${hash}`, 'utf8').digest('hex').slice(0, 24);
}
