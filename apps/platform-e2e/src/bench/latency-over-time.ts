import { summarizeLatencies } from './latency-summary.js';
import type { LatencySummary } from './latency-summary.js';

// Latency over the course of a run: the tasks grouped by when they started, each group's
// percentiles. A run's p99 over the whole run cannot tell a steady tail from a few bad seconds
// (the stack still compiling its code at the start, a collection, a burst of other work on the
// machine); this table can.

/** One task of a run, in wall-clock ms. */
export interface TimedTask {
  /** When its latency clock started (the POST, or in the open loop the arrival's due time). */
  readonly startedAt: number;
  /** Undefined when no 201 came. */
  readonly createdReceived: number | undefined;
  /** Undefined when the task did not end with a 200 result. */
  readonly resultReceived: number | undefined;
}

export interface LatencyPeriod {
  /** Seconds from the run's first task to the start of this period. */
  readonly fromSeconds: number;
  readonly toSeconds: number;
  /** Tasks that started in the period. */
  readonly tasks: number;
  readonly toCreated: LatencySummary;
  readonly toResult: LatencySummary;
}

/** At most this many periods: one second each while the run is short enough, longer ones after. */
export const MOST_PERIODS = 30;

/**
 * The run's tasks in consecutive periods of whole seconds, by when each started: one-second
 * periods for a run of up to MOST_PERIODS seconds, longer periods (a whole number of seconds) so
 * that there are at most MOST_PERIODS otherwise. Empty for no tasks.
 */
export function latencyOverTime(tasks: readonly TimedTask[]): LatencyPeriod[] {
  if (tasks.length === 0) return [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const { startedAt } of tasks) {
    first = Math.min(first, startedAt);
    last = Math.max(last, startedAt);
  }
  const spanSeconds = Math.floor((last - first) / 1000) + 1;
  const periodSeconds = Math.max(1, Math.ceil(spanSeconds / MOST_PERIODS));
  const groups: TimedTask[][] = Array.from(
    { length: Math.ceil(spanSeconds / periodSeconds) },
    () => [],
  );
  for (const task of tasks) {
    const index = Math.floor((task.startedAt - first) / (periodSeconds * 1000));
    groups[index]?.push(task);
  }
  return groups.map((group, index) => ({
    fromSeconds: index * periodSeconds,
    toSeconds: (index + 1) * periodSeconds,
    tasks: group.length,
    toCreated: summarizeLatencies(
      group.flatMap(({ startedAt, createdReceived }) =>
        createdReceived === undefined ? [] : [createdReceived - startedAt],
      ),
    ),
    toResult: summarizeLatencies(
      group.flatMap(({ startedAt, resultReceived }) =>
        resultReceived === undefined ? [] : [resultReceived - startedAt],
      ),
    ),
  }));
}
