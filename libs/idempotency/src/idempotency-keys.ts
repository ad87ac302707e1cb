import { sql, type Kysely } from 'kysely';
import type { IdempotencyDatabase } from './idempotency-keys-table.js';

// Keys are claimed in PostgreSQL, so every gateway replica sees the same claims and they outlive a
// restart. The first request with a key inserts its row, with the id and time of the resource it
// is about to create; every later request with the key finds that row and creates (or has created)
// the same resource under the same id, which the aggregates treat as a repeat. Every time is the
// database's, so replicas never compare their own clocks: a key expires when the database says so.

/** What a request brings to claim a key. */
export interface KeyClaim {
  readonly accountId: string;
  readonly key: string;
  readonly fingerprint: string;
  /** The id and time the resource gets if this request is the first with the key. */
  readonly resourceId: string;
  readonly resourceAt: Date;
  /** How long the key is kept from now. */
  readonly ttlSeconds: number;
}

/** The key's record as the claim found or made it. */
export interface ClaimedKey {
  /** True when this claim made the record (the key was new, or its record had expired). */
  readonly first: boolean;
  readonly fingerprint: string;
  readonly resourceId: string;
  readonly resourceAt: Date;
  /** The status the resource's creation was answered with; null while it is not known to be done. */
  readonly status: number | null;
}

interface KeyRecord {
  readonly fingerprint: string;
  readonly resource_id: string;
  readonly resource_at: Date;
  readonly status: number | null;
}

// A row deleted by a purge between the INSERT and the SELECT is claimed again; twice in a row is
// already most unlikely.
const CLAIM_ROUNDS = 5;

/**
 * Claims the key for the request, or finds who did. Concurrent claims of one key all return the
 * same record: exactly one of them with `first`. An expired record counts as absent and is replaced.
 */
export async function claimIdempotencyKey(
  db: Kysely<IdempotencyDatabase>,
  claim: KeyClaim,
): Promise<ClaimedKey> {
  for (let round = 1; ; round += 1) {
    // READ COMMITTED: a concurrent INSERT of the same key makes this one wait for it to commit, and
    // then DO UPDATE re-checks its WHERE on the committed row (live: nothing is returned).
    const { rows: inserted } = await sql<KeyRecord>`
      INSERT INTO idempotency.keys AS k
        (account_id, idempotency_key, fingerprint, resource_id, resource_at, expires_at)
      VALUES (${claim.accountId}, ${claim.key}, ${claim.fingerprint}, ${claim.resourceId},
              ${claim.resourceAt}, now() + make_interval(secs => ${claim.ttlSeconds}::float8))
      ON CONFLICT (account_id, idempotency_key) DO UPDATE
        SET fingerprint = excluded.fingerprint,
            resource_id = excluded.resource_id,
            resource_at = excluded.resource_at,
            expires_at = excluded.expires_at,
            status = NULL,
            completed_at = NULL
        WHERE k.expires_at <= now()
      RETURNING fingerprint, resource_id, resource_at, status`.execute(db);
    const mine = inserted[0];
    if (mine !== undefined) return claimedKey(mine, true);
    // A new statement, a new snapshot: it sees the row the INSERT collided with.
    const found = await db
      .selectFrom('idempotency.keys')
      .select(['fingerprint', 'resource_id', 'resource_at', 'status'])
      .where('account_id', '=', claim.accountId)
      .where('idempotency_key', '=', claim.key)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    if (found !== undefined) return claimedKey(found, false);
    if (round >= CLAIM_ROUNDS) {
      throw new Error(`the idempotency key could not be claimed in ${CLAIM_ROUNDS} rounds`);
    }
  }
}

/** Records the status the key's request was answered with, once its resource exists. */
export async function completeIdempotencyKey(
  db: Kysely<IdempotencyDatabase>,
  completion: {
    readonly accountId: string;
    readonly key: string;
    readonly resourceId: string;
    readonly status: number;
  },
): Promise<void> {
  await db
    .updateTable('idempotency.keys')
    .set({ status: completion.status, completed_at: sql<Date>`now()` })
    .where('account_id', '=', completion.accountId)
    .where('idempotency_key', '=', completion.key)
    .where('resource_id', '=', completion.resourceId)
    .where('status', 'is', null)
    .execute();
}

/**
 * Deletes expired keys, at most `batchSize` per statement (short transactions, short locks), until
 * none is left; the number deleted.
 */
export async function purgeExpiredIdempotencyKeys(
  db: Kysely<IdempotencyDatabase>,
  batchSize = 1000,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { rows } = await sql<{ deleted: string }>`
      WITH expired AS (
        SELECT account_id, idempotency_key FROM idempotency.keys
        WHERE expires_at <= now()
        ORDER BY expires_at
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED
      ), gone AS (
        DELETE FROM idempotency.keys k USING expired e
        WHERE k.account_id = e.account_id AND k.idempotency_key = e.idempotency_key
          AND k.expires_at <= now()
        RETURNING 1
      )
      SELECT count(*)::text AS deleted FROM gone`.execute(db);
    const count = Number(rows[0]?.deleted ?? 0);
    deleted += count;
    if (count < batchSize) return deleted;
  }
}

function claimedKey(record: KeyRecord, first: boolean): ClaimedKey {
  return {
    first,
    fingerprint: record.fingerprint,
    resourceId: record.resource_id,
    resourceAt: new Date(record.resource_at),
    status: record.status,
  };
}
