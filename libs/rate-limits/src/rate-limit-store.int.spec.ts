import { eventually } from '@canopy/async-testing';
import { createTestDatabase } from '@canopy/local-services/testing';
import type { TestDatabase } from '@canopy/local-services/testing';
import pg from 'pg';
import { memoryRateLimits, openPostgresRateLimits } from './rate-limit-store.js';
import type { RateLimitRule, RateLimitStore } from './rate-limit-store.js';
import { addCounts } from './shared-counts.js';

let database: TestDatabase;
let admin: pg.Pool;
const stores: RateLimitStore[] = [];
const storeErrors: unknown[] = [];

beforeAll(async () => {
  database = await createTestDatabase('rate_limits');
  admin = new pg.Pool({ connectionString: database.url, max: 2 });
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await admin?.end();
  await database?.drop();
});

async function open(
  options: { timeoutMs?: number; purgeIntervalMs?: number; retryAfterErrorMs?: number } = {},
) {
  const store = await openPostgresRateLimits({
    connectionString: database.url,
    onStoreError: (error) => storeErrors.push(error),
    ...options,
  });
  stores.push(store);
  return store;
}

let rules = 0;
/** A rule of its own for each test, so that no two tests count the same keys. */
function rule(points: number, durationSeconds: number): RateLimitRule {
  rules += 1;
  return { keyPrefix: `rule-${rules}`, points, durationSeconds };
}

async function allowedOf(limiter: { consume(key: string): Promise<{ allowed: boolean }> }) {
  return (await limiter.consume('k')).allowed;
}

test('stores opened on one database at once all migrate it, and share their counts', async () => {
  const [first, second] = await Promise.all([open(), open()]);
  const limit = rule(3, 30);
  const a = first.limiter(limit);
  const b = second.limiter(limit);

  const remaining = async (limiter: typeof a) => {
    const { allowed, remaining: left, resetMs } = await limiter.consume('k');
    expect(resetMs).toBeGreaterThan(0);
    expect(resetMs).toBeLessThanOrEqual(30_000);
    return [allowed, left];
  };
  expect(await remaining(a)).toEqual([true, 2]);
  expect(await remaining(b)).toEqual([true, 1]);
  expect(await remaining(a)).toEqual([true, 0]);
  expect(await remaining(b)).toEqual([false, 0]);
  expect(await remaining(a)).toEqual([false, 0]);
  expect(storeErrors).toEqual([]);
});

test('a count that waited behind the request opening the window answers no more than the window', async () => {
  await open(); // migrates the database
  const late = await admin.connect();
  try {
    // A statement whose transaction started first, and which reaches the row after another opened
    // its window, as when two gateways count the same key at once.
    await late.query('BEGIN');
    await late.query('SELECT now()');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await addCounts(admin, [{ key: 'late-window', requests: 1, windowSeconds: 30 }]);
    const totals = await addCounts(late, [{ key: 'late-window', requests: 1, windowSeconds: 30 }]);
    await late.query('COMMIT');
    expect(totals.get('late-window')?.count).toBe(2);
    expect(totals.get('late-window')?.windowEndsInMs).toBeLessThanOrEqual(30_000);
  } finally {
    late.release();
  }
});

test('of many requests at once on several stores, exactly the allowance is let through', async () => {
  const stores = await Promise.all([open(), open(), open()]);
  const limit = rule(7, 30);
  const limiters = stores.map((store) => store.limiter(limit));
  const decisions = await Promise.all(
    limiters.flatMap((limiter) => Array.from({ length: 10 }, () => limiter.consume('k'))),
  );
  expect(decisions.filter((decision) => decision.allowed)).toHaveLength(7);
  const refusals = decisions.filter((decision) => !decision.allowed);
  expect(refusals).toHaveLength(23);
  for (const refusal of refusals) {
    expect(refusal.remaining).toBe(0);
    expect(refusal.resetMs).toBeGreaterThan(0);
    expect(refusal.resetMs).toBeLessThanOrEqual(30_000);
  }
  expect(
    decisions
      .filter((decision) => decision.allowed)
      .map((decision) => decision.remaining)
      .sort((x, y) => x - y),
  ).toEqual([0, 1, 2, 3, 4, 5, 6]);
  // Every request was counted, the refused ones too.
  const { rows } = await admin.query<{ count: number }>(
    'SELECT count FROM rate_limits.counters WHERE key = $1',
    [`${limit.keyPrefix}:k`],
  );
  expect(rows[0]?.count).toBe(30);
});

test('keys and rules count apart', async () => {
  const store = await open();
  const limit = rule(1, 30);
  const limiter = store.limiter(limit);
  const other = store.limiter(rule(1, 30));

  expect((await limiter.consume('one')).allowed).toBe(true);
  expect((await limiter.consume('one')).allowed).toBe(false);
  expect((await limiter.consume('two')).allowed).toBe(true);
  expect((await other.consume('one')).allowed).toBe(true);
});

test('a window of a fractional number of seconds ends, and the key may go on', async () => {
  const store = await open();
  const limiter = store.limiter(rule(1, 2.5));

  expect(await allowedOf(limiter)).toBe(true);
  expect(await allowedOf(limiter)).toBe(false);
  await eventually(async () => (await allowedOf(limiter)) || false);
  expect(storeErrors).toEqual([]);
});

test('rows of ended windows are purged', async () => {
  const store = await open({ purgeIntervalMs: 50 });
  const limit = rule(5, 2.5);
  await store.limiter(limit).consume('gone');
  const rows = async () =>
    (
      await admin.query<{ count: string }>(
        'SELECT count(*) FROM rate_limits.counters WHERE key = $1',
        [`${limit.keyPrefix}:gone`],
      )
    ).rows[0]?.count;
  expect(await rows()).toBe('1');
  await eventually(async () => (await rows()) === '0' || false);
});

test('a database too slow to count: requests are counted in memory for a while, then in it again', async () => {
  const store = await open({ timeoutMs: 200, retryAfterErrorMs: 500 });
  const limit = rule(2, 30);
  const limiter = store.limiter(limit);
  const locker = await admin.connect();
  const errorsBefore = storeErrors.length;
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE rate_limits.counters IN ACCESS EXCLUSIVE MODE');
    expect(await allowedOf(limiter)).toBe(true);
    expect(await allowedOf(limiter)).toBe(true);
    expect(await allowedOf(limiter)).toBe(false);
  } finally {
    await locker.query('ROLLBACK');
    locker.release();
  }
  // The first count waited for the database and failed; the others did not ask it.
  expect(storeErrors.length).toBe(errorsBefore + 1);
  expect(String(storeErrors.at(-1))).toMatch(/timeout/i);

  const counted = async () =>
    (
      await admin.query<{ count: number }>(
        'SELECT count FROM rate_limits.counters WHERE key = $1',
        [`${limit.keyPrefix}:k`],
      )
    ).rows[0]?.count;
  // The database's statement gave up with the client's: nothing was counted there meanwhile.
  expect(await counted()).toBeUndefined();
  await eventually(async () => {
    await limiter.consume('k');
    return (await counted()) ?? false;
  });
  expect(storeErrors.length).toBe(errorsBefore + 1);
});

test('in memory, every store counts on its own', async () => {
  const limit = rule(1, 30);
  const first = memoryRateLimits().limiter(limit);
  const second = memoryRateLimits().limiter(limit);

  expect(await first.consume('k')).toMatchObject({ allowed: true, remaining: 0 });
  const refused = await first.consume('k');
  expect(refused).toMatchObject({ allowed: false, remaining: 0 });
  expect(refused.resetMs).toBeGreaterThan(0);
  expect(refused.resetMs).toBeLessThanOrEqual(30_000);
  expect(await allowedOf(second)).toBe(true);
});
