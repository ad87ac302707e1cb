import type pg from 'pg';

/** A lease as the database holds it. */
export interface LeaseRecord {
  readonly epoch: number;
  readonly holder: string;
  readonly expiresAt: Date;
}

// Every time is the database's (clock_timestamp()), so holders on different machines never compare
// their own clocks: a lease expires when the database says so.

/**
 * Leases in `leadership.leases` (see migrate-leadership.ts): one row per name, each acquisition by a
 * new holder (or by the same one after its lease expired) increments the epoch.
 */
export class PostgresLeases {
  constructor(private readonly pool: pg.Pool) {}

  /** Takes the lease when it is free or expired: the new epoch, or undefined while another holds it. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ epoch: string }>(
      `INSERT INTO leadership.leases AS lease (name, epoch, holder, acquired_at, expires_at)
       VALUES ($1, 1, $2, clock_timestamp(), clock_timestamp() + make_interval(secs => $3::float8 / 1000))
       ON CONFLICT (name) DO UPDATE
         SET epoch = lease.epoch + 1,
             holder = excluded.holder,
             acquired_at = excluded.acquired_at,
             expires_at = excluded.expires_at
         WHERE lease.expires_at <= clock_timestamp()
       RETURNING epoch::text AS epoch`,
      [name, holder, ttlMs],
    );
    const [row] = rows;
    return row === undefined ? undefined : Number(row.epoch);
  }

  /** Extends the lease this holder took at `epoch`, unless it has expired meanwhile: whether it did. */
  async renew(name: string, holder: string, epoch: number, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE leadership.leases
          SET expires_at = clock_timestamp() + make_interval(secs => $4::float8 / 1000)
        WHERE name = $1 AND holder = $2 AND epoch = $3 AND expires_at > clock_timestamp()`,
      [name, holder, epoch, ttlMs],
    );
    return rowCount === 1;
  }

  /** Gives the lease up at once, so that a standby takes over without waiting for it to expire. */
  async release(name: string, holder: string, epoch: number): Promise<void> {
    await this.pool.query(
      `UPDATE leadership.leases SET expires_at = clock_timestamp()
        WHERE name = $1 AND holder = $2 AND epoch = $3 AND expires_at > clock_timestamp()`,
      [name, holder, epoch],
    );
  }

  /** Whether the lease is held at `epoch` and has not expired, as the database sees it now. */
  async holds(name: string, epoch: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `SELECT 1 FROM leadership.leases
        WHERE name = $1 AND epoch = $2 AND expires_at > clock_timestamp()`,
      [name, epoch],
    );
    return rowCount === 1;
  }

  async current(name: string): Promise<LeaseRecord | undefined> {
    const { rows } = await this.pool.query<{ epoch: string; holder: string; expires_at: Date }>(
      'SELECT epoch::text AS epoch, holder, expires_at FROM leadership.leases WHERE name = $1',
      [name],
    );
    const [row] = rows;
    return row === undefined
      ? undefined
      : { epoch: Number(row.epoch), holder: row.holder, expiresAt: row.expires_at };
  }
}
