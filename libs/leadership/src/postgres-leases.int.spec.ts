import { createTestDatabase } from '@canopy/local-services/testing';
import type { TestDatabase } from '@canopy/local-services/testing';
import pg from 'pg';
import { migrateLeadership } from './migrate-leadership.js';
import { PostgresLeases } from './postgres-leases.js';
import { untilLeaseExpired } from './testing/index.js';

let database: TestDatabase;
let pool: pg.Pool;
let leases: PostgresLeases;

beforeAll(async () => {
  database = await createTestDatabase('leases');
  await migrateLeadership(database.url);
  await migrateLeadership(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  leases = new PostgresLeases(pool);
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

function untilExpired(name: string): Promise<void> {
  return untilLeaseExpired(pool, leases, name);
}

describe('PostgreSQL leases', () => {
  test('one holder at a time; every new holder gets a higher epoch', async () => {
    expect(await leases.acquire('a', 'first', 60_000)).toBe(1);
    expect(await leases.acquire('a', 'second', 60_000)).toBeUndefined();
    // Holding it does not mean taking it again: that is what renewal is for.
    expect(await leases.acquire('a', 'first', 60_000)).toBeUndefined();
    expect(await leases.renew('a', 'first', 1, 60_000)).toBe(true);
    await leases.release('a', 'first', 1);
    expect(await leases.acquire('a', 'second', 60_000)).toBe(2);
    expect(await leases.current('a')).toMatchObject({ epoch: 2, holder: 'second' });
  });

  test('an expired lease cannot be renewed: it is taken again, under a new epoch', async () => {
    expect(await leases.acquire('b', 'first', 50)).toBe(1);
    await untilExpired('b');
    expect(await leases.renew('b', 'first', 1, 60_000)).toBe(false);
    expect(await leases.acquire('b', 'second', 60_000)).toBe(2);
    // The deposed holder can neither renew nor release the new holder's lease.
    expect(await leases.renew('b', 'first', 1, 60_000)).toBe(false);
    await leases.release('b', 'first', 1);
    expect(await leases.current('b')).toMatchObject({ epoch: 2, holder: 'second' });
    expect(await leases.acquire('b', 'first', 60_000)).toBeUndefined();
  });

  test('the same holder taking its own expired lease again also gets a new epoch', async () => {
    expect(await leases.acquire('c', 'only', 50)).toBe(1);
    await untilExpired('c');
    expect(await leases.acquire('c', 'only', 60_000)).toBe(2);
  });

  test('leases of different names are independent', async () => {
    expect(await leases.acquire('d1', 'x', 60_000)).toBe(1);
    expect(await leases.acquire('d2', 'y', 60_000)).toBe(1);
  });
});
