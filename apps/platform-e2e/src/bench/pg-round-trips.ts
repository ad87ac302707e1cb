import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import type { ProbeReading } from './pg-round-trip-probe.js';

// Reads what the PostgreSQL probe (pg-round-trip-probe.ts) counted in each process.

/** The environment that preloads the probe into a Node process, writing into `directory`. */
export function pgRoundTripProbeEnv(directory: string): Record<string, string> {
  const probe = new URL('./pg-round-trip-probe.js', import.meta.url);
  if (probe.protocol !== 'file:') throw new Error(`the probe is not a file: ${probe.href}`);
  return {
    NODE_OPTIONS: `--import=${probe.href}`,
    PG_ROUND_TRIP_PROBE_DIR: directory,
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
}

/** Queries each process sent between two readings (a process that started in between from zero). */
export function roundTripsBetween(
  before: ReadonlyMap<number, ProbeReading>,
  after: ReadonlyMap<number, ProbeReading>,
): RoundTrips[] {
  return [...after.values()].map((reading) => ({
    name: reading.name,
    queries: reading.queries - (before.get(reading.pid)?.queries ?? 0),
  }));
}
