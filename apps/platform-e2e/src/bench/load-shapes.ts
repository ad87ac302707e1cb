import { setTimeout as delay } from 'node:timers/promises';

// The two ways the benchmarks load a system. Closed loop: C clients, each issuing one task and
// waiting for its outcome before the next, so the system sets the pace (throughput). Open loop:
// tasks arrive at a fixed rate whatever happens to earlier ones, as independent users' requests do
// (latency at a given load, without the clients backing off when the system slows down).

/** Wall-clock milliseconds since the epoch, with sub-millisecond resolution. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface ClosedLoopShape {
  readonly tasks: number;
  readonly clients: number;
}

/**
 * Runs `runTask` `tasks` times, `clients` at a time, each client starting its next task when its
 * previous one is done; resolves with the wall time in ms. `runTask` must not reject.
 */
export async function runClosedLoop(
  shape: ClosedLoopShape,
  runTask: (index: number) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  await runClients(Math.min(shape.clients, shape.tasks), (next) => next < shape.tasks, runTask);
  return performance.now() - started;
}

/**
 * `clients` clients, each starting task after task while `goesOn(tasks started so far)`; resolves
 * once all are done with the number of tasks run.
 */
async function runClients(
  clients: number,
  goesOn: (next: number) => boolean,
  runTask: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const client = async (): Promise<void> => {
    while (goesOn(next)) {
      const index = next;
      next += 1;
      await runTask(index);
    }
  };
  await Promise.all(Array.from({ length: clients }, () => client()));
  return next;
}

/**
 * A warm-up before a measured run: a closed loop that goes on until it has run at least `tasks`
 * tasks and for at least `seconds`. The count makes sure every slot has been used; the time lets
 * the processes' compilers finish with the code a run keeps calling (a stack fed at full load
 * from cold takes a few seconds to reach its steady rate, however many tasks it is given).
 */
export interface WarmUpShape {
  readonly tasks: number;
  readonly seconds: number;
  readonly clients: number;
}

/** Whether the warm-up runs at all (both its counts zero: none). */
export function warmsUp(shape: WarmUpShape): boolean {
  return shape.tasks > 0 || shape.seconds > 0;
}

/**
 * Runs `runTask` as `runClosedLoop` does, until at least `shape.tasks` tasks have run and
 * `shape.seconds` have passed (a task in flight then is finished, not cut off); resolves with the
 * number of tasks run. `runTask` must not reject.
 */
export async function runWarmUp(
  shape: WarmUpShape,
  runTask: (index: number) => Promise<void>,
): Promise<number> {
  if (!warmsUp(shape)) return 0;
  const until = performance.now() + shape.seconds * 1000;
  return runClients(
    Math.max(1, shape.clients),
    (next) => next < shape.tasks || performance.now() < until,
    runTask,
  );
}

export interface OpenLoopShape {
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
}

export interface OpenLoopRun {
  /** From the first arrival until the last task's outcome, ms. */
  readonly elapsedMs: number;
  readonly arrivals: number;
  /** Arrivals per second from the first to the last one actually started. */
  readonly achievedRate: number;
  /** How late each arrival started against its schedule (the load generator falling behind), ms. */
  readonly startLagsMs: readonly number[];
}

/**
 * The open loop at half the rate a closed loop reached, in whole tasks per second (at least 1): the
 * load at which the benchmarks' latency targets are stated.
 */
export function atHalfTheRate(throughput: number, durationSeconds: number): OpenLoopShape {
  return { ratePerSecond: Math.max(1, Math.round(throughput / 2)), durationSeconds };
}

/**
 * Starts `runTask(scheduledAt)` at `ratePerSecond` for `durationSeconds`, evenly spaced, without
 * waiting for earlier tasks; resolves once every task's outcome is in. `scheduledAt` (wall clock,
 * ms) is when the arrival was due: latencies measured from it include any lag of the generator
 * itself, so a stalled generator cannot hide slow answers. `runTask` must not reject.
 */
export async function runOpenLoop(
  shape: OpenLoopShape,
  runTask: (scheduledAt: number) => Promise<void>,
): Promise<OpenLoopRun> {
  const arrivals = Math.max(1, Math.round(shape.ratePerSecond * shape.durationSeconds));
  const spacingMs = 1000 / shape.ratePerSecond;
  const first = wallClockMs();
  const running: Promise<void>[] = [];
  const startLagsMs: number[] = [];
  let lastStart = first;
  for (let index = 0; index < arrivals; index += 1) {
    const due = first + index * spacingMs;
    const early = due - wallClockMs();
    if (early > 1) await delay(early);
    lastStart = wallClockMs();
    startLagsMs.push(Math.max(0, lastStart - due));
    running.push(runTask(due));
  }
  await Promise.all(running);
  return {
    elapsedMs: wallClockMs() - first,
    arrivals,
    achievedRate: arrivals > 1 ? ((arrivals - 1) / (lastStart - first)) * 1000 : Number.NaN,
    startLagsMs,
  };
}
