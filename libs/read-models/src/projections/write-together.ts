import { sql, type OperationNodeSource, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';

/** A write built but not run: an INSERT, UPDATE or DELETE query builder. */
export type PendingWrite = OperationNodeSource;

/**
 * Runs `writes` as one statement, each a data-modifying WITH query of it: one round trip to
 * PostgreSQL for them all, where run one by one each is one (a batch of the tasks projection writes
 * up to eight tables, and on a busy machine every round trip costs more than the write itself).
 * PostgreSQL runs every part to completion on the same snapshot, none seeing another's changes, so
 * the writes must be independent of each other and touch different tables (a statement may not
 * change a row twice). An empty list runs nothing.
 */
export async function writeTogether(
  trx: Transaction<ReadModelDatabase>,
  writes: readonly (PendingWrite | undefined)[],
): Promise<void> {
  const present = writes.filter((write) => write !== undefined);
  const [only] = present;
  if (only === undefined) return;
  if (present.length === 1) {
    await sql`${only}`.execute(trx);
    return;
  }
  const parts = present.map((write, index) => sql`${sql.raw(`write_${index}`)} AS (${write})`);
  await sql`WITH ${sql.join(parts)} SELECT 1`.execute(trx);
}
