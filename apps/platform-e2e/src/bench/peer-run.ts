import { summarizeLatencies } from './latency-summary.js';
import type { LatencySummary } from './latency-summary.js';
import { runClosedLoop, runWarmUp } from './load-shapes.js';
import type { ClosedLoopShape } from './load-shapes.js';

// One system's figures under the peers' load shape: C producers each issuing one no-op job and
// waiting for its completion, M jobs in all.

export interface PeerRun {
  readonly system: string;
  readonly completed: number;
  readonly errors: number;
  readonly elapsedMs: number;
  /** Completed jobs per second of wall time. */
  readonly throughput: number;
  /** From issuing a job to the producer knowing it completed. */
  readonly latency: LatencySummary;
}

/**
 * The load of a peer run: the closed loop measured, after a warm-up of at least `warmup` jobs and
 * `warmupSeconds` left out of the figures.
 */
export interface PeerShape extends ClosedLoopShape {
  readonly warmup: number;
  readonly warmupSeconds: number;
}

/**
 * Runs `runJob` (issue one job, resolve once it completed, reject if it failed) in a closed loop,
 * after the warm-up's jobs (the same loop, not counted).
 */
export async function runPeer(
  system: string,
  shape: PeerShape,
  runJob: () => Promise<void>,
): Promise<PeerRun> {
  await runWarmUp(
    { tasks: shape.warmup, seconds: shape.warmupSeconds, clients: shape.clients },
    () => runJob().catch(() => undefined),
  );
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const elapsedMs = await runClosedLoop(shape, async () => {
    const started = performance.now();
    try {
      await runJob();
      latencies.push(performance.now() - started);
    } catch (error) {
      errors += 1;
      firstError ??= error;
    }
  });
  if (firstError !== undefined) {
    process.stderr.write(
      `${system}: ${errors} jobs failed, the first with: ${String(firstError)}\n`,
    );
  }
  return {
    system,
    completed: latencies.length,
    errors,
    elapsedMs,
    throughput: (latencies.length / elapsedMs) * 1000,
    latency: summarizeLatencies(latencies),
  };
}
