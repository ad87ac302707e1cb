import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import type { LoopDelay, ProbeReading } from './service-probe.js';

// Reads what the probe (service-probe.ts) counted and saw in each process.

/** The environment that preloads the probe into a Node process, writing into `directory`. */
export function serviceProbeEnv(directory: string): Record<string, string> {
  const probe = new URL('./service-probe.js', import.meta.url);
  if (probe.protocol !== 'file:') throw new Error(`the probe is not a file: ${probe.href}`);
  return {
    NODE_OPTIONS: `--import=${probe.href}`,
    SERVICE_PROBE_DIR: directory,
  };
}

async function readAll(directory: string): Promise<ProbeReading[]> {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.json'));
  const readings = await Promise.all(
    files.map(async (name) => {
      try {
        return JSON.parse(await readFile(path.join(directory, name), 'utf8')) as ProbeReading;
      } catch {
        return undefined; // removed or replaced while listing
      }
    }),
  );
  return readings.filter((reading): reading is ProbeReading => reading !== undefined);
}

/**
 * Asks every probed process that is still running for its count now (SIGUSR2) and resolves with
 * every process's latest reading, by pid; exited processes keep the count they wrote on exit.
 */
export async function takeProbeReadings(directory: string): Promise<Map<number, ProbeReading>> {
  const asked = new Map<number, number>();
  for (const reading of await readAll(directory)) {
    try {
      process.kill(reading.pid, 'SIGUSR2');
      asked.set(reading.pid, reading.readings);
    } catch {
      // exited: its file holds its last count
    }
  }
  return eventually(
    async () => {
      const readings = await readAll(directory);
      for (const reading of readings) {
        const before = asked.get(reading.pid);
        if (before !== undefined && reading.readings <= before)
          throw new Error(`${reading.name} (${reading.pid}) has not written its count yet`);
      }
      return new Map(readings.map((reading) => [reading.pid, reading]));
    },
    10_000,
    20,
  );
}

export interface RoundTrips {
  readonly name: string;
  readonly queries: number;
  /** How often each statement was sent, by its first words (of those the probe lists). */
  readonly statements: ReadonlyMap<string, number>;
}

/** Queries each process sent between two readings (a process that started in between from zero). */
export function roundTripsBetween(
  before: ReadonlyMap<number, ProbeReading>,
  after: ReadonlyMap<number, ProbeReading>,
): RoundTrips[] {
  return [...after.values()].map((reading) => {
    const earlier = new Map(before.get(reading.pid)?.statements ?? []);
    const statements = new Map<string, number>();
    for (const [statement, count] of reading.statements) {
      const sent = count - (earlier.get(statement) ?? 0);
      if (sent > 0) statements.set(statement, sent);
    }
    return {
      name: reading.name,
      queries: reading.queries - (before.get(reading.pid)?.queries ?? 0),
      statements,
    };
  });
}

export interface Stalls {
  readonly name: string;
  /** How late the event loop ran between the two readings. */
  readonly loopDelay: LoopDelay;
  /** Garbage-collection pauses between the two readings: how many, in all, the longest. */
  readonly gcPauses: number;
  readonly gcPauseMs: number;
  readonly gcLongestPauseMs: number;
  /** Of those, the full (mark-compact) collections. */
  readonly gcMajorPauses: number;
  readonly gcMajorPauseMs: number;
  readonly gcLongestMajorPauseMs: number;
}

/**
 * What held each process up between two readings; the later reading is taken to be the first one
 * asked for after `before` (the loop delay and the longest pause cover the time since the previous
 * reading).
 */
export function stallsBetween(
  before: ReadonlyMap<number, ProbeReading>,
  after: ReadonlyMap<number, ProbeReading>,
): Stalls[] {
  return [...after.values()].map((reading) => {
    const start = before.get(reading.pid);
    return {
      name: reading.name,
      loopDelay: reading.loopDelay,
      gcPauses: reading.gcPauses - (start?.gcPauses ?? 0),
      gcPauseMs: reading.gcPauseMs - (start?.gcPauseMs ?? 0),
      gcLongestPauseMs: reading.gcLongestPauseMs,
      gcMajorPauses: reading.gcMajorPauses - (start?.gcMajorPauses ?? 0),
      gcMajorPauseMs: reading.gcMajorPauseMs - (start?.gcMajorPauseMs ?? 0),
      gcLongestMajorPauseMs: reading.gcLongestMajorPauseMs,
    };
  });
}

/** Several processes as one line: the worst delays, the pauses summed, the longest of them. */
export function worstStalls(name: string, stalls: readonly Stalls[]): Stalls {
  const worst = (pick: (delay: LoopDelay) => number): number =>
    Math.max(0, ...stalls.map((each) => pick(each.loopDelay)));
  return {
    name,
    loopDelay: {
      p50Ms: worst((delay) => delay.p50Ms),
      p99Ms: worst((delay) => delay.p99Ms),
      maxMs: worst((delay) => delay.maxMs),
    },
    gcPauses: stalls.reduce((sum, each) => sum + each.gcPauses, 0),
    gcPauseMs: stalls.reduce((sum, each) => sum + each.gcPauseMs, 0),
    gcLongestPauseMs: Math.max(0, ...stalls.map((each) => each.gcLongestPauseMs)),
    gcMajorPauses: stalls.reduce((sum, each) => sum + each.gcMajorPauses, 0),
    gcMajorPauseMs: stalls.reduce((sum, each) => sum + each.gcMajorPauseMs, 0),
    gcLongestMajorPauseMs: Math.max(0, ...stalls.map((each) => each.gcLongestMajorPauseMs)),
  };
}
