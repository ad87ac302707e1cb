import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { nodeProcessName } from './process-names.js';

// Preloaded into the processes of the benchmark's stack (NODE_OPTIONS="--import=<this file>"). It
// counts the statements the process sends PostgreSQL through `pg`'s Client#query (a pool's query,
// kysely and the event store all go through it; each is one round trip), and watches for stalls:
// how late the event loop ran (a timer every LOOP_RESOLUTION_MS, measured by Node) and the garbage
// collector's pauses. It writes `<SERVICE_PROBE_DIR>/<name>.<pid>.json` when it loads, on SIGUSR2 (a
// reading the benchmark asks for before and after its run), on SIGTERM and on exit. The loop delay
// and the longest pause cover the time since the previous reading; the counts are running totals.
// The services know nothing of it.

const LOOP_RESOLUTION_MS = 10;

export interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface ProbeReading {
  readonly name: string;
  readonly pid: number;
  readonly queries: number;
  /** The statements sent so far, by their first words, with how often, most first (the first 40). */
  readonly statements: readonly (readonly [statement: string, count: number])[];
  /** Garbage collections and their pauses, since the process started. */
  readonly gcPauses: number;
  readonly gcPauseMs: number;
  /** The longest garbage-collection pause since the previous reading. */
  readonly gcLongestPauseMs: number;
  /** Of those, the full (mark-compact) collections' pauses, since the process started. */
  readonly gcMajorPauses: number;
  readonly gcMajorPauseMs: number;
  /** The longest full collection's pause since the previous reading. */
  readonly gcLongestMajorPauseMs: number;
  /**
   * The JavaScript heap in use right after the latest full (mark-compact) collection: what the
   * process holds, without the garbage a heap carries between collections (undefined before one).
   */
  readonly liveHeapBytes?: number | undefined;
  /** How late the event loop ran, since the previous reading. */
  readonly loopDelay: LoopDelay;
  /** How many times the probe has written; a reading asked for shows a higher number. */
  readonly readings: number;
}

const directory = process.env['SERVICE_PROBE_DIR'];
if (directory !== undefined && directory !== '') {
  const name = nodeProcessName(process.argv) ?? 'node';
  const file = path.join(directory, `${name.replace(/[^\w.-]/g, '_')}.${process.pid}.json`);
  let queries = 0;
  const statements = new Map<string, number>();
  let readings = 0;
  let gcPauses = 0;
  let gcPauseMs = 0;
  let gcLongestPauseMs = 0;
  let gcMajorPauses = 0;
  let gcMajorPauseMs = 0;
  let gcLongestMajorPauseMs = 0;
  let liveHeapBytes: number | undefined;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauses += 1;
      gcPauseMs += entry.duration;
      gcLongestPauseMs = Math.max(gcLongestPauseMs, entry.duration);
      // A `gc` entry's detail names the kind of collection (Node's NODE_PERFORMANCE_GC_* constants).
      const { kind } = (entry as { readonly detail?: { readonly kind?: number } }).detail ?? {};
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gcMajorPauses += 1;
        gcMajorPauseMs += entry.duration;
        gcLongestMajorPauseMs = Math.max(gcLongestMajorPauseMs, entry.duration);
        liveHeapBytes = process.memoryUsage().heapUsed;
      }
    }
  }).observe({ entryTypes: ['gc'] });

  const write = (): void => {
    readings += 1;
    // The histogram is in nanoseconds and counts the timer's own resolution as delay.
    const late = (nanoseconds: number): number =>
      Math.max(0, nanoseconds / 1e6 - LOOP_RESOLUTION_MS);
    const reading: ProbeReading = {
      name,
      pid: process.pid,
      queries,
      statements: [...statements].sort((a, b) => b[1] - a[1]).slice(0, 40),
      gcPauses,
      gcPauseMs,
      gcLongestPauseMs,
      gcMajorPauses,
      gcMajorPauseMs,
      gcLongestMajorPauseMs,
      liveHeapBytes,
      loopDelay:
        loop.count === 0
          ? { p50Ms: 0, p99Ms: 0, maxMs: 0 }
          : {
              p50Ms: late(loop.percentile(50)),
              p99Ms: late(loop.percentile(99)),
              maxMs: late(loop.max),
            },
      readings,
    };
    loop.reset();
    gcLongestPauseMs = 0;
    gcLongestMajorPauseMs = 0;
    // Renamed into place so that the benchmark never reads half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(reading));
    renameSync(`${file}.tmp`, file);
  };

  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function countedQuery(this: unknown, ...args: unknown[]): unknown {
    queries += 1;
    const statement = statementOf(args[0]);
    statements.set(statement, (statements.get(statement) ?? 0) + 1);
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

/** A statement's first words, white space folded: enough to tell the statements apart. */
function statementOf(query: unknown): string {
  const text =
    typeof query === 'string'
      ? query
      : typeof query === 'object' && query !== null && 'text' in query
        ? String(query.text)
        : '(other)';
  return text.replace(/\s+/g, ' ').trim().slice(0, 90);
}
