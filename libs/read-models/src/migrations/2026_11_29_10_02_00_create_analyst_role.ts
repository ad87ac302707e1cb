/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// canopy_analyst may read the analytics views and nothing else. Roles belong to the whole cluster
// while grants belong to one database, and migrations of several databases may run at once: the
// role is created only if missing (so a role a DBA created beforehand needs no CREATEROLE here),
// tolerating a concurrent creator, and the grants are made in every database.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'canopy_analyst') THEN
        CREATE ROLE canopy_analyst NOLOGIN;
      END IF;
    EXCEPTION
      -- Another session created it between our check and our CREATE.
      WHEN duplicate_object OR unique_violation THEN NULL;
    END
    $$
  `.execute(db);
  await sql`
    DO $$
    BEGIN
      EXECUTE format('GRANT CONNECT ON DATABASE %I TO canopy_analyst', current_database());
    END
    $$
  `.execute(db);
  await sql`REVOKE ALL ON SCHEMA api FROM PUBLIC`.execute(db);
  await sql`GRANT USAGE ON SCHEMA analytics TO canopy_analyst`.execute(db);
  await sql`GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO canopy_analyst`.execute(db);
  // Views that later migrations (run by the same owner) add to analytics are readable too.
  await sql`ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO canopy_analyst`.execute(
    db,
  );
}

// The role stays: other databases of the cluster may still grant it.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER DEFAULT PRIVILEGES IN SCHEMA analytics REVOKE SELECT ON TABLES FROM canopy_analyst`.execute(
    db,
  );
  await sql`REVOKE SELECT ON ALL TABLES IN SCHEMA analytics FROM canopy_analyst`.execute(db);
  await sql`REVOKE USAGE ON SCHEMA analytics FROM canopy_analyst`.execute(db);
  await sql`
    DO $$
    BEGIN
      EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM canopy_analyst', current_database());
    END
    $$
  `.execute(db);
}
