import { sql, type Kysely } from 'kysely';

// One row per leadership (for example `scheduler`): who holds it, until when, and the epoch that
// every new holder increments.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SCHEMA IF NOT EXISTS leadership`.execute(db);
  await sql`
    CREATE TABLE leadership.leases (
      name text PRIMARY KEY,
      epoch bigint NOT NULL CHECK (epoch > 0),
      holder text NOT NULL,
      acquired_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP SCHEMA leadership CASCADE`.execute(db);
}
