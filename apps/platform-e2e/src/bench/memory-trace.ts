import { sampleDescendants, sampleProcess } from './process-usage.js';
import { nodeProcessName } from './process-names.js';

// Resident memory of the Canopy processes over a run, sampled with the tasks done so far, so that a
// long run shows whether memory levels off (caches filling to their bounds) or keeps growing.

export interface MemorySample {
  /** Tasks completed when the sample was taken. */
  readonly completed: number;
  /** Resident bytes by process name (nodeProcessName). */
  readonly rssBytes: ReadonlyMap<string, number>;
}

/** The Canopy processes below this one: what {@link sampleCanopyMemory} follows. */
export async function canopyProcesses(): Promise<ReadonlyMap<number, string>> {
  const processes = new Map<number, string>();
  for (const sample of await sampleDescendants()) {
    const name = nodeProcessName(sample.command);
    if (name !== undefined) processes.set(sample.pid, name);
  }
  return processes;
}

/**
 * The resident memory of the given processes now (a handful of /proc reads, cheap enough to take
 * every second beside the load), summed by name; a process that has gone is left out.
 */
export async function sampleCanopyMemory(
  processes: ReadonlyMap<number, string>,
  completed: number,
): Promise<MemorySample> {
  const rssBytes = new Map<string, number>();
  const samples = await Promise.all([...processes.keys()].map((pid) => sampleProcess(pid)));
  for (const sample of samples) {
    const name = sample === undefined ? undefined : processes.get(sample.pid);
    if (sample !== undefined && name !== undefined) {
      rssBytes.set(name, (rssBytes.get(name) ?? 0) + sample.rssBytes);
    }
  }
  return { completed, rssBytes };
}

/**
 * The samples nearest to 0, 25, 50, 75 and 100 % of `total` tasks (the first and the last sample
 * at the ends), in that order; fewer when there are fewer samples.
 */
export function memoryAtQuarters(
  samples: readonly MemorySample[],
  total: number,
): readonly MemorySample[] {
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined) return [];
  const picked = [first];
  for (const quarter of [0.25, 0.5, 0.75]) {
    const target = total * quarter;
    const nearest = samples.reduce((best, sample) =>
      Math.abs(sample.completed - target) < Math.abs(best.completed - target) ? sample : best,
    );
    if (!picked.includes(nearest)) picked.push(nearest);
  }
  if (!picked.includes(last)) picked.push(last);
  return picked;
}
