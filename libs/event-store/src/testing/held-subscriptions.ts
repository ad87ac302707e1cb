import pg from 'pg';

/**
 * Runs `work` while no subscription of a PostgreSQL event store reads anything committed from now
 * on, as when a subscriber falls behind: a transaction with an id, held open on the server of
 * `databaseUrl`, is a fence the subscriptions' reads do not pass until it ends (docs/event-store.md,
 * "What the fence costs"). Appends and stream reads go on. The fence is the server's: the
 * subscriptions of every database on it wait too (other tests' included), so keep `work` short.
 */
export async function withSubscriptionsHeldBack<T>(
  databaseUrl: string,
  work: () => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_current_xact_id()');
    return await work();
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}
