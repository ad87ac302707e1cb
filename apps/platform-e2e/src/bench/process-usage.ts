import { readFile, readdir } from 'node:fs/promises';

// CPU time and resident memory of processes, read from Linux's /proc: what `ps` and `top` show.

// /proc reports CPU time in clock ticks of USER_HZ, which is 100 on every architecture Linux runs
// Node on (the kernel fixes it for user space whatever its internal HZ).
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  readonly pid: number;
  readonly parentPid: number;
  /** The command line, one element per argument. */
  readonly command: readonly string[];
  /** User + system CPU time of the process itself. */
  readonly cpuSeconds: number;
  /** User + system CPU time of its children that have exited and been waited for. */
  readonly exitedChildrenCpuSeconds: number;
  readonly rssBytes: number;
  /** Its main thread's nice value: 0 normal, up to 19 for the lowest CPU priority. */
  readonly nice: number;
  /**
   * How often its threads went to sleep and were woken again (their voluntary context switches,
   * summed); read by `withWakeUps`, 0 until then.
   */
  readonly wakeUps: number;
}

/** One process's figures, or undefined when it has gone (or was never there). */
export async function sampleProcess(pid: number): Promise<ProcessSample | undefined> {
  try {
    const [stat, status, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
    ]);
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const field = (number: number): number => Number(fields[number - 3]);
    const rssKiB = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return {
      pid,
      parentPid: field(4),
      command: cmdline.split('\0').filter((argument) => argument !== ''),
      cpuSeconds: (field(14) + field(15)) / TICKS_PER_SECOND,
      exitedChildrenCpuSeconds: (field(16) + field(17)) / TICKS_PER_SECOND,
      rssBytes: Number(rssKiB ?? 0) * 1024,
      nice: field(19),
      wakeUps: 0,
    };
  } catch {
    return undefined;
  }
}

/** Every process below `rootPid` (children, grandchildren...), sampled now. */
export async function sampleDescendants(rootPid: number = process.pid): Promise<ProcessSample[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const samples = (await Promise.all(pids.map((pid) => sampleProcess(pid)))).filter(
    (sample): sample is ProcessSample => sample !== undefined,
  );
  const below = new Set([rootPid]);
  // Parents come before their children in no guaranteed order: widen the set until it is stable.
  for (let grown = true; grown;) {
    grown = false;
    for (const sample of samples) {
      if (!below.has(sample.pid) && below.has(sample.parentPid)) {
        below.add(sample.pid);
        grown = true;
      }
    }
  }
  return samples.filter((sample) => sample.pid !== rootPid && below.has(sample.pid));
}

/**
 * `sample` with the voluntary context switches of all its threads, each a sleep and a wake-up (the
 * main thread of a Node process; its V8 and libuv helpers; the threads of a Go server). Unchanged
 * when the process has gone.
 */
export async function withWakeUps(sample: ProcessSample): Promise<ProcessSample> {
  try {
    const threads = await readdir(`/proc/${sample.pid}/task`);
    const counts = await Promise.all(
      threads.map(async (thread) => {
        const status = await readFile(`/proc/${sample.pid}/task/${thread}/status`, 'utf8').catch(
          () => '',
        );
        return Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
      }),
    );
    return { ...sample, wakeUps: counts.reduce((sum, count) => sum + count, 0) };
  } catch {
    return sample;
  }
}
