import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { nodeProcessName } from './process-names.js';

// Preloaded into the processes of the benchmark's stack (NODE_OPTIONS="--import=<this file>"): counts
// the statements the process sends PostgreSQL through `pg`'s Client#query (a pool's query, kysely
// and the event store all go through it; each is one round trip) and writes the count to
// `<PG_ROUND_TRIP_PROBE_DIR>/<name>.<pid>.json` when it loads, on SIGUSR2 (a reading the benchmark
// asks for before and after its run), on SIGTERM and on exit. The services know nothing of it.

export interface ProbeReading {
  readonly name: string;
  readonly pid: number;
  readonly queries: number;
  /** How many times the probe has written; a reading asked for shows a higher number. */
  readonly readings: number;
}

const directory = process.env['PG_ROUND_TRIP_PROBE_DIR'];
if (directory !== undefined && directory !== '') {
  const name = nodeProcessName(process.argv) ?? 'node';
  const file = path.join(directory, `${name.replace(/[^\w.-]/g, '_')}.${process.pid}.json`);
  let queries = 0;
  let readings = 0;
  const write = (): void => {
    readings += 1;
    const reading: ProbeReading = { name, pid: process.pid, queries, readings };
    // Renamed into place so that the benchmark never reads half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(reading));
    renameSync(`${file}.tmp`, file);
  };

  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function countedQuery(this: unknown, ...args: unknown[]): unknown {
    queries += 1;
    return query.apply(this, args);
  };

  write();
  process.on('SIGUSR2', write);
  process.on('exit', write);
  const onTerm = (): void => {
    write();
    // The service's own handler stops it; a process without one must still end as SIGTERM ends it.
    if (process.listenerCount('SIGTERM') === 1) {
      process.removeListener('SIGTERM', onTerm);
      process.kill(process.pid, 'SIGTERM');
    }
  };
  process.on('SIGTERM', onTerm);
}
