import { eventually } from '@canopy/async-testing';
import { startOwnPostgres } from '@canopy/local-services/testing';
import type { OwnPostgres } from '@canopy/local-services/testing';
import pg from 'pg';
import { openPostgresRateLimits } from './rate-limit-store.js';
import type { RateLimitStore } from './rate-limit-store.js';

// The database server going away under a store with counts in flight and idle connections, and
// coming back: a PostgreSQL of the test's own, stopped and started again.

let server: OwnPostgres;
let store: RateLimitStore | undefined;

beforeAll(async () => {
  server = await startOwnPostgres();
});

afterAll(async () => {
  await store?.close();
  await server?.remove();
});

async function countInDatabase(key: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: server.serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: number }>(
      'SELECT count FROM rate_limits.counters WHERE key = $1',
      [key],
    );
    return rows[0]?.count;
  } finally {
    await client.end();
  }
}

test('while the server is down requests are counted in memory; once it is back, in it again', async () => {
  const errors: unknown[] = [];
  store = await openPostgresRateLimits({
    connectionString: server.serverUrl,
    onStoreError: (error) => errors.push(error),
    retryAfterErrorMs: 200,
  });
  const limiter = store.limiter({ keyPrefix: 'outage', points: 3, durationSeconds: 120 });
  expect((await limiter.consume('k')).allowed).toBe(true);
  expect(await countInDatabase('outage:k')).toBe(1);

  await server.stopServer();
  // The allowance in memory is the rule's own: 3, whatever the database had counted.
  const whileDown = [];
  for (let index = 0; index < 4; index += 1) whileDown.push((await limiter.consume('k')).allowed);
  expect(whileDown).toEqual([true, true, true, false]);
  expect(errors.length).toBeGreaterThanOrEqual(1);

  await server.startServer();
  // Back in the database, which kept its count over a clean shutdown (1): the next count that
  // reaches it is its second, and the key has one more request left there, then none.
  await eventually(
    async () => (await countInDatabase('outage:k').catch(() => undefined)) === 1 || false,
  );
  await eventually(async () => {
    const decision = await limiter.consume('k');
    return ((await countInDatabase('outage:k')) ?? 0) > 1 ? decision : false;
  });
  expect(await countInDatabase('outage:k')).toBe(2);
  expect((await limiter.consume('k')).allowed).toBe(true);
  expect((await limiter.consume('k')).allowed).toBe(false);
  expect(await countInDatabase('outage:k')).toBe(4);
});
