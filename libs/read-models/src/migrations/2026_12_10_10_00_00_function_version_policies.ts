/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// A function's retry policy and priority change with its versions (FunctionChanged carries them):
// each version keeps its own, so `GET /v1/function/:id?version=N` and analysts read version N's.
// Versions projected before this migration take their function's current policy, which is each
// version's own unless the policy was changed since; `canopy projector rebuild` writes every
// version's exactly.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE api.function_versions
      ADD COLUMN priority smallint NOT NULL DEFAULT 5 CHECK (priority BETWEEN 0 AND 9),
      ADD COLUMN retry jsonb
  `.execute(db);
  await sql`
    UPDATE api.function_versions AS v
    SET priority = f.priority, retry = f.retry
    FROM api.functions AS f
    WHERE f.function_id = v.function_id
  `.execute(db);
  const comments: Record<string, string> = {
    'api.function_versions.priority':
      'Priority (0..9, 9 first) of the tasks issued against this version, unless a task names its own.',
    'api.function_versions.retry':
      'Retry policy of the tasks issued against this version {maxAttempts, backoff {initialSeconds, multiplier, maxSeconds}, on}; NULL: no retry.',
  };
  for (const [column, text] of Object.entries(comments)) {
    await sql`COMMENT ON COLUMN ${sql.ref(column)} IS ${sql.lit(text)}`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE api.function_versions DROP COLUMN priority, DROP COLUMN retry`.execute(db);
}
