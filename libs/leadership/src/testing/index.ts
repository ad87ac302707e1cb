import type pg from 'pg';
import type { PostgresLeases } from '../postgres-leases.js';

/**
 * Waits until the database's clock has passed the lease's expiry: a read, which takes no lock, and
 * no local timing.
 */
export async function untilLeaseExpired(
  pool: pg.Pool,
  leases: PostgresLeases,
  name: string,
): Promise<void> {
  const lease = await leases.current(name);
  if (lease === undefined) return;
  await pool.query(
    'SELECT pg_sleep(GREATEST(0, EXTRACT(EPOCH FROM $1::timestamptz - clock_timestamp())) + 0.01)',
    [lease.expiresAt],
  );
}
