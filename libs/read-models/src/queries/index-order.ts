import { sql, type Kysely, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';

/**
 * Runs keyset queries so that PostgreSQL walks an index in order rather than sorting. The planner
 * estimates `account_id = $1 AND function_id = $2` as if the two were independent, while a function
 * belongs to one account: for a large function the estimate can fall below the page's LIMIT, and the
 * planner then prefers a bitmap scan that sorts every matching row, on every page. Without sorting
 * (for these statements only) the ordered index walk is the plan whatever the statistics say.
 */
export async function inIndexOrder<T>(
  db: Kysely<ReadModelDatabase>,
  run: (trx: Transaction<ReadModelDatabase>) => Promise<T>,
): Promise<T> {
  return db
    .transaction()
    .setAccessMode('read only')
    .execute(async (trx) => {
      await sql`SET LOCAL enable_sort = off`.execute(trx);
      return run(trx);
    });
}
