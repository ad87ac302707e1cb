import { sql, type RawBuilder } from 'kysely';

/** A timestamptz column as UTC text with microseconds: the exact time a keyset cursor resumes from. */
export function keysetTime(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
