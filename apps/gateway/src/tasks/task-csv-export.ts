import { Readable, pipeline } from 'node:stream';
import type { ReadModelDatabase, TaskCsvFilter, TaskCsvRow } from '@canopy/read-models';
import { streamTaskCsvRows } from '@canopy/read-models';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { Kysely } from 'kysely';
import { csvRecord, csvStringifier } from './task-csv-format.js';

/**
 * GET /v1/task/:functionId/csv: the CSV text as a stream, rows read chunk by chunk as the client
 * reads (backpressure all the way to the database). A failure after the first byte can only cut the
 * response short; it is logged.
 */
export function taskCsvStream(
  db: Kysely<ReadModelDatabase>,
  accountId: string,
  filter: TaskCsvFilter,
  showPlain: boolean,
  logger: ServiceLogger,
): Readable {
  const csv = csvStringifier();
  pipeline(
    Readable.from(records(streamTaskCsvRows(db, accountId, filter), showPlain)),
    csv,
    (error) => {
      if (error === null || error === undefined) return;
      if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        logger.debug({ functionId: filter.functionId }, 'CSV export abandoned by the client');
      } else {
        logger.error({ err: error, functionId: filter.functionId }, 'CSV export failed');
      }
    },
  );
  return csv;
}

async function* records(
  rows: AsyncIterable<TaskCsvRow>,
  showPlain: boolean,
): AsyncGenerator<string[], void, undefined> {
  for await (const row of rows) yield csvRecord(row, showPlain);
}
