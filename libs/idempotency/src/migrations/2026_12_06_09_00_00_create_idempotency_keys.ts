import { sql, type Kysely } from 'kysely';

// One row per (account, Idempotency-Key): the request it was first used with (a fingerprint), the
// resource that request creates (its id and creation time, chosen before it is created), and, once
// created, the status it was answered with. Not a read model: nothing in the event store says which
// key a client sent, so a rebuild must never touch it (hence a schema of its own, not `api`).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SCHEMA IF NOT EXISTS idempotency`.execute(db);
  await sql`
    CREATE TABLE idempotency.keys (
      account_id text NOT NULL,
      idempotency_key text NOT NULL,
      fingerprint text NOT NULL,
      resource_id text NOT NULL,
      resource_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      status int4,
      completed_at timestamptz,
      PRIMARY KEY (account_id, idempotency_key)
    )`.execute(db);
  await sql`CREATE INDEX keys_expires_at ON idempotency.keys (expires_at)`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP SCHEMA idempotency CASCADE`.execute(db);
}
