import { sql, type Kysely, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../../schema/read-model-database.js';
import { API_SCHEMA } from '../read-model-schema.js';

// Rebuilding the read models: fresh tables are created in REBUILD_SCHEMA with the shape of `api`
// (same columns, constraints, indexes and their names, storage parameters, comments and grants),
// filled by the same projections, and swapped in by renaming schemas. Renaming a schema takes no
// lock on its tables and is atomic, so a reader resolves `api.tasks` either to the old table or to
// the new one, never to nothing; views elsewhere bind to tables, not names, and are re-pointed in
// the same transaction.

export const REBUILD_SCHEMA = 'api_rebuild';
/** Where the replaced tables go until the last reader of them is done; then they are dropped. */
export const RETIRED_SCHEMA = 'api_retired';

// kysely's PostgreSQL migration lock (PostgresAdapter's LOCK_ID), held by every migrateToLatest:
// holding it keeps read-model migrations from changing `api` while its shape is copied or swapped.
const KYSELY_MIGRATION_LOCK = 3853314791062309107n;
const REBUILD_LOCK_CLASS = 0x43_61_6e_70; // "Canp"

type Db = Kysely<ReadModelDatabase>;

/** What the rebuild schema was cloned from. */
export interface RebuildBasis {
  /** Read-model migrations applied when `api` was copied. */
  readonly migrations: readonly string[];
  readonly tables: readonly string[];
}

/**
 * Takes the session-level rebuild lock on `connection` (a single connection, held for the whole
 * rebuild): false when another rebuild holds it.
 */
export async function tryHoldRebuildLock(connection: Db): Promise<boolean> {
  const { rows } = await sql<{ held: boolean }>`
    SELECT pg_try_advisory_lock(${REBUILD_LOCK_CLASS}::int4, hashtext(${API_SCHEMA})) AS held
  `.execute(connection);
  return rows[0]?.held === true;
}

export async function releaseRebuildLock(connection: Db): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${REBUILD_LOCK_CLASS}::int4, hashtext(${API_SCHEMA}))`.execute(
    connection,
  );
}

/**
 * Creates REBUILD_SCHEMA afresh as an empty copy of `api`, dropping what an interrupted rebuild
 * left behind. Call it holding the rebuild lock.
 */
export async function createRebuildSchema(db: Db): Promise<RebuildBasis> {
  await dropRetiredReadModels(db);
  return db.transaction().execute(async (trx) => {
    await holdMigrationLock(trx);
    await sql`SET LOCAL search_path TO pg_catalog`.execute(trx);
    await sql`DROP SCHEMA IF EXISTS ${sql.id(REBUILD_SCHEMA)} CASCADE`.execute(trx);
    await sql`CREATE SCHEMA ${sql.id(REBUILD_SCHEMA)}`.execute(trx);
    await copySchemaOwnerCommentAndGrants(trx);
    const tables = await tablesOf(trx, API_SCHEMA);
    for (const table of tables) await copyTable(trx, table);
    return { migrations: await appliedMigrations(trx), tables };
  });
}

/** A view outside `api` that reads `api` tables, with what it takes to re-point it. */
export interface DependentView {
  readonly name: string;
  readonly definition: string;
  readonly options: string | null;
}

/**
 * In the caller's transaction (which should hold the projector lock, so the live projector is
 * paused and the rebuilt tables are at least as far as the live ones): swaps REBUILD_SCHEMA in as
 * `api`, retires the old tables into RETIRED_SCHEMA and re-points the views that read them.
 * Fails, changing nothing, if a read-model migration ran since `basis` was taken. Returns the
 * re-pointed views.
 */
export async function swapInRebuiltReadModels(
  trx: Transaction<ReadModelDatabase>,
  basis: RebuildBasis,
): Promise<string[]> {
  await holdMigrationLock(trx);
  const migrations = await appliedMigrations(trx);
  if (migrations.join('\n') !== basis.migrations.join('\n')) {
    throw new Error(
      'a read-model migration ran while the read models were being rebuilt; run the rebuild again',
    );
  }
  await sql`SET LOCAL search_path TO pg_catalog`.execute(trx);
  const views = await dependentViews(trx, API_SCHEMA);
  await sql`ALTER SCHEMA ${sql.id(API_SCHEMA)} RENAME TO ${sql.id(RETIRED_SCHEMA)}`.execute(trx);
  await sql`ALTER SCHEMA ${sql.id(REBUILD_SCHEMA)} RENAME TO ${sql.id(API_SCHEMA)}`.execute(trx);
  // Definitions were read before the renames, so they name `api.<table>`: now the new tables. A
  // replaced view keeps its identity, hence its comments, grants and the views built on it.
  for (const view of views) {
    const options = view.options === null ? sql`` : sql` WITH (${sql.raw(view.options)})`;
    await sql`CREATE OR REPLACE VIEW ${sql.raw(view.name)}${options} AS ${sql.raw(view.definition)}`.execute(
      trx,
    );
  }
  return views.map((view) => view.name);
}

/**
 * Drops the tables a swap retired (waiting for readers still using them) and their schema. Without
 * CASCADE: anything still depending on them is an error, not a silent loss.
 */
export async function dropRetiredReadModels(db: Db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL search_path TO pg_catalog`.execute(trx);
    const tables = await tablesOf(trx, RETIRED_SCHEMA);
    if (tables.length > 0) {
      const names = tables.map((table) => sql.table(`${RETIRED_SCHEMA}.${table}`));
      await sql`DROP TABLE ${sql.join(names)}`.execute(trx);
    }
    await sql`DROP SCHEMA IF EXISTS ${sql.id(RETIRED_SCHEMA)}`.execute(trx);
  });
}

async function holdMigrationLock(trx: Transaction<ReadModelDatabase>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${sql.lit(KYSELY_MIGRATION_LOCK)})`.execute(trx);
}

async function appliedMigrations(trx: Transaction<ReadModelDatabase>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM public.read_model_migration ORDER BY name
  `.execute(trx);
  return rows.map((row) => row.name);
}

async function tablesOf(trx: Transaction<ReadModelDatabase>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ relname: string }>`
    SELECT c.relname
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p')
    ORDER BY c.relname
  `.execute(trx);
  return rows.map((row) => row.relname);
}

async function copySchemaOwnerCommentAndGrants(trx: Transaction<ReadModelDatabase>): Promise<void> {
  const { rows } = await sql<{ owner: string; is_current: boolean; comment: string | null }>`
    SELECT pg_get_userbyid(n.nspowner) AS owner, n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS is_current,
           obj_description(n.oid, 'pg_namespace') AS comment
    FROM pg_namespace n WHERE n.nspname = ${API_SCHEMA}
  `.execute(trx);
  const api = rows[0];
  if (api === undefined) throw new Error(`schema ${API_SCHEMA} does not exist: migrate first`);
  if (!api.is_current)
    await sql`ALTER SCHEMA ${sql.id(REBUILD_SCHEMA)} OWNER TO ${sql.id(api.owner)}`.execute(trx);
  if (api.comment !== null)
    await sql`COMMENT ON SCHEMA ${sql.id(REBUILD_SCHEMA)} IS ${sql.lit(api.comment)}`.execute(trx);
  const grants = await sql<Grant>`
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
           a.privilege_type, a.is_grantable
    FROM pg_namespace n, aclexplode(n.nspacl) a
    WHERE n.nspname = ${API_SCHEMA} AND a.grantee <> n.nspowner
  `.execute(trx);
  for (const grant of grants.rows)
    await sql`GRANT ${sql.raw(grant.privilege_type)} ON SCHEMA ${sql.id(REBUILD_SCHEMA)} TO ${sql.raw(grant.grantee)}${grantOption(grant)}`.execute(
      trx,
    );
}

interface Grant {
  readonly grantee: string;
  readonly privilege_type: string;
  readonly is_grantable: boolean;
}

function grantOption(grant: Grant) {
  return grant.is_grantable ? sql` WITH GRANT OPTION` : sql``;
}

/** `api.<table>` → REBUILD_SCHEMA.<table>, empty, with everything that defines it. */
async function copyTable(trx: Transaction<ReadModelDatabase>, table: string): Promise<void> {
  const source = sql.table(`${API_SCHEMA}.${table}`);
  const target = sql.table(`${REBUILD_SCHEMA}.${table}`);
  // Indexes are re-created below under their own names (LIKE would invent new ones, which later
  // migrations naming an index would not find); defaults, checks, not-nulls, identity, generated
  // columns, storage, statistics and column comments come with LIKE.
  await sql`CREATE TABLE ${target} (LIKE ${source} INCLUDING ALL EXCLUDING INDEXES)`.execute(trx);

  const constraints = await sql<{ conname: string; contype: string; definition: string }>`
    SELECT conname, contype::text AS contype, pg_get_constraintdef(oid) AS definition
    FROM pg_constraint
    WHERE conrelid = ${`${API_SCHEMA}.${table}`}::regclass AND contype IN ('p', 'u', 'x', 'f')
    ORDER BY conname
  `.execute(trx);
  for (const constraint of constraints.rows) {
    if (constraint.contype === 'f') {
      // Its definition names the referenced table, which the swap would leave behind.
      throw new Error(
        `foreign key ${constraint.conname} on ${API_SCHEMA}.${table}: the read-model rebuild does not support foreign keys`,
      );
    }
    await sql`ALTER TABLE ${target} ADD CONSTRAINT ${sql.id(constraint.conname)} ${sql.raw(constraint.definition)}`.execute(
      trx,
    );
  }

  const indexes = await sql<{ definition: string; qualified: string }>`
    SELECT pg_get_indexdef(i.indexrelid) AS definition, format('%I.%I', ${API_SCHEMA}::text, ${table}::text) AS qualified
    FROM pg_index i
    WHERE i.indrelid = ${`${API_SCHEMA}.${table}`}::regclass
      AND NOT EXISTS (
        SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')
      )
    ORDER BY i.indexrelid
  `.execute(trx);
  for (const index of indexes.rows) {
    const marker = ` ON ${index.qualified} `;
    const onlyMarker = ` ON ONLY ${index.qualified} `;
    const retargeted = index.definition
      .replace(onlyMarker, ` ON ONLY ${REBUILD_SCHEMA}.${table} `)
      .replace(marker, ` ON ${REBUILD_SCHEMA}.${table} `);
    if (retargeted === index.definition)
      throw new Error(`cannot re-create index of ${API_SCHEMA}.${table}: ${index.definition}`);
    await sql.raw(retargeted).execute(trx);
  }

  const details = await sql<{
    comment: string | null;
    owner: string;
    is_current: boolean;
    options: string[] | null;
  }>`
    SELECT obj_description(c.oid, 'pg_class') AS comment, pg_get_userbyid(c.relowner) AS owner,
           c.reloptions AS options,
           c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS is_current
    FROM pg_class c WHERE c.oid = ${`${API_SCHEMA}.${table}`}::regclass
  `.execute(trx);
  const detail = details.rows[0];
  if (detail?.comment != null)
    await sql`COMMENT ON TABLE ${target} IS ${sql.lit(detail.comment)}`.execute(trx);
  // Storage parameters (a fillfactor, say) are not part of LIKE.
  if (detail?.options != null && detail.options.length > 0)
    await sql`ALTER TABLE ${target} SET (${sql.raw(detail.options.join(', '))})`.execute(trx);
  if (detail !== undefined && !detail.is_current)
    await sql`ALTER TABLE ${target} OWNER TO ${sql.id(detail.owner)}`.execute(trx);

  const grants = await sql<Grant>`
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
           a.privilege_type, a.is_grantable
    FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.oid = ${`${API_SCHEMA}.${table}`}::regclass AND a.grantee <> c.relowner
  `.execute(trx);
  for (const grant of grants.rows)
    await sql`GRANT ${sql.raw(grant.privilege_type)} ON TABLE ${target} TO ${sql.raw(grant.grantee)}${grantOption(grant)}`.execute(
      trx,
    );
}

/**
 * Views outside `schema` whose query reads one of its tables (views over those views need nothing:
 * they bind to the view, which keeps its identity). Call with search_path = pg_catalog, so that the
 * definitions name every relation with its schema.
 */
async function dependentViews(
  trx: Transaction<ReadModelDatabase>,
  schema: string,
): Promise<DependentView[]> {
  const { rows } = await sql<{
    name: string;
    relkind: string;
    definition: string;
    options: string | null;
  }>`
    SELECT DISTINCT ON (v.oid)
           format('%I.%I', vn.nspname, v.relname) AS name,
           v.relkind::text AS relkind,
           pg_get_viewdef(v.oid) AS definition,
           array_to_string(v.reloptions, ', ') AS options
    FROM pg_depend d
    JOIN pg_rewrite r ON r.oid = d.objid
    JOIN pg_class v ON v.oid = r.ev_class
    JOIN pg_namespace vn ON vn.oid = v.relnamespace
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    WHERE d.classid = 'pg_rewrite'::regclass
      AND d.refclassid = 'pg_class'::regclass
      AND tn.nspname = ${schema}
      AND vn.nspname <> ${schema}
      AND v.oid <> t.oid
    ORDER BY v.oid
  `.execute(trx);
  return rows.map((row) => {
    if (row.relkind !== 'v') {
      throw new Error(
        `${row.name} (relkind ${row.relkind}) reads ${schema} tables; only plain views can be re-pointed by the read-model rebuild`,
      );
    }
    return {
      name: row.name,
      definition: row.definition.trim().replace(/;$/, ''),
      options: row.options === null || row.options === '' ? null : row.options,
    };
  });
}
