/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Analysts see each function version's priority and retry policy (api.function_versions has kept
// them since 2026_12_10_10_00_00_function_version_policies), to compare versions that changed
// them: `max_attempts` for the common question, `retry` for the whole policy.
export async function up(db: Kysely<any>): Promise<void> {
  // Views gain columns at their end only (CREATE OR REPLACE VIEW keeps the existing ones).
  await sql`
    CREATE OR REPLACE VIEW analytics.function_versions AS
    SELECT v.account_id, v.function_id, v.version, v.created_at,
      lead(v.created_at) OVER (PARTITION BY v.function_id ORDER BY v.version) AS replaced_at,
      f.deleted_at, v.timeout_seconds, v.cpu_count, v.mem_size, v.network_latency, v.privileged,
      v.runtime ->> 'kind' AS runtime_kind,
      v.priority,
      coalesce((v.retry ->> 'maxAttempts')::integer, 1) AS max_attempts,
      v.retry
    FROM api.function_versions AS v
    JOIN api.functions AS f ON f.function_id = v.function_id
  `.execute(db);
  const comments: Record<string, string> = {
    priority:
      'Priority (0..9, 9 first) of the tasks issued against this version, unless a task names its own.',
    max_attempts:
      'How many times a task of this version may run: 1 without a retry policy, else its maxAttempts.',
    retry:
      'The retry policy {maxAttempts, backoff {initialSeconds, multiplier, maxSeconds}, on}; NULL: no retry.',
  };
  for (const [column, text] of Object.entries(comments)) {
    await sql`COMMENT ON COLUMN ${sql.ref(`analytics.function_versions.${column}`)} IS ${sql.lit(text)}`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  // A view cannot lose columns by being replaced: it is built again as it was (its comments are
  // not restored).
  await sql`DROP VIEW analytics.function_versions`.execute(db);
  await sql`
    CREATE VIEW analytics.function_versions AS
    SELECT v.account_id, v.function_id, v.version, v.created_at,
      lead(v.created_at) OVER (PARTITION BY v.function_id ORDER BY v.version) AS replaced_at,
      f.deleted_at, v.timeout_seconds, v.cpu_count, v.mem_size, v.network_latency, v.privileged,
      v.runtime ->> 'kind' AS runtime_kind
    FROM api.function_versions AS v
    JOIN api.functions AS f ON f.function_id = v.function_id
  `.execute(db);
}
