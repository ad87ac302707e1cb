import { createTestDatabase } from '@canopy/local-services/testing';
import type { TestDatabase } from '@canopy/local-services/testing';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  purgeExpiredIdempotencyKeys,
} from './idempotency-keys.js';
import type { KeyClaim } from './idempotency-keys.js';
import type { IdempotencyDatabase } from './idempotency-keys-table.js';
import { migrateIdempotency } from './migrate-idempotency.js';

let database: TestDatabase;
let db: Kysely<IdempotencyDatabase>;

beforeAll(async () => {
  database = await createTestDatabase('idempotency_keys');
  db = new Kysely<IdempotencyDatabase>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: database.url, max: 10 }),
    }),
  });
  // Twice, and concurrently: every gateway migrates at start.
  await Promise.all([migrateIdempotency(db), migrateIdempotency(db)]);
  await migrateIdempotency(db);
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const ACCOUNT = 'a'.repeat(24);
let sequence = 0;

function claimOf(key: string, change: Partial<KeyClaim> = {}): KeyClaim {
  sequence += 1;
  return {
    accountId: ACCOUNT,
    key,
    fingerprint: 'f'.repeat(64),
    resourceId: sequence.toString(16).padStart(24, '0'),
    resourceAt: new Date(Date.UTC(2026, 11, 6, 9, 0, 0, sequence)),
    ttlSeconds: 3600,
    ...change,
  };
}

/** Moves the key's expiry into the past, as the database's clock would after its TTL. */
async function expire(key: string): Promise<void> {
  await sql`UPDATE idempotency.keys SET expires_at = now() - interval '1 second'
            WHERE idempotency_key = ${key}`.execute(db);
}

describe('idempotency keys in PostgreSQL', () => {
  test('the first claim makes the record; the next ones find it, with its id and time', async () => {
    const first = claimOf('k1');
    const made = await claimIdempotencyKey(db, first);
    expect(made).toEqual({
      first: true,
      fingerprint: first.fingerprint,
      resourceId: first.resourceId,
      resourceAt: first.resourceAt,
      status: null,
    });
    const again = await claimIdempotencyKey(db, claimOf('k1', { fingerprint: 'e'.repeat(64) }));
    expect(again).toEqual({ ...made, first: false });
  });

  test('a completed key says how its request was answered', async () => {
    const claim = claimOf('k2');
    await claimIdempotencyKey(db, claim);
    await completeIdempotencyKey(db, { ...claim, status: 201 });
    expect(await claimIdempotencyKey(db, claimOf('k2'))).toMatchObject({
      first: false,
      resourceId: claim.resourceId,
      status: 201,
    });
  });

  test('keys are per account', async () => {
    await claimIdempotencyKey(db, claimOf('k3'));
    expect(
      await claimIdempotencyKey(db, claimOf('k3', { accountId: 'b'.repeat(24) })),
    ).toMatchObject({ first: true });
  });

  test('50 concurrent claims of one key: one is first, all see the same record', async () => {
    const claims = await Promise.all(
      Array.from({ length: 50 }, () => claimIdempotencyKey(db, claimOf('k4'))),
    );
    expect(claims.filter((claim) => claim.first)).toHaveLength(1);
    const winner = claims.find((claim) => claim.first);
    for (const claim of claims) expect(claim.resourceId).toBe(winner?.resourceId);
  });

  test('an expired key is claimed afresh, and a late completion of the old claim changes nothing', async () => {
    const old = claimOf('k5');
    await claimIdempotencyKey(db, old);
    await expire('k5');
    const fresh = claimOf('k5');
    expect(await claimIdempotencyKey(db, fresh)).toMatchObject({
      first: true,
      resourceId: fresh.resourceId,
      status: null,
    });
    await completeIdempotencyKey(db, { ...old, status: 201 });
    expect(await claimIdempotencyKey(db, claimOf('k5'))).toMatchObject({
      resourceId: fresh.resourceId,
      status: null,
    });
  });

  test('the purge deletes expired keys only, in batches', async () => {
    for (const key of ['p1', 'p2', 'p3']) {
      await claimIdempotencyKey(db, claimOf(key));
      await expire(key);
    }
    await claimIdempotencyKey(db, claimOf('p4'));
    expect(await purgeExpiredIdempotencyKeys(db, 2)).toBeGreaterThanOrEqual(3);
    const { rows } = await sql<{ idempotency_key: string }>`
      SELECT idempotency_key FROM idempotency.keys WHERE idempotency_key LIKE 'p%'`.execute(db);
    expect(rows.map((row) => row.idempotency_key)).toEqual(['p4']);
    expect(await purgeExpiredIdempotencyKeys(db)).toBe(0);
  });
});
