// Percentiles of a run's durations, the way every table of the benchmarks prints them.

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The nearest-rank percentile (`fraction` in 0..1) of values sorted ascending; NaN when empty. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? Number.NaN;
}

/** p50 / p90 / p99 / max of durations in any order (the input is not modified). */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((left, right) => left - right);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Milliseconds as a table cell: one decimal below 100 ms, whole above; "-" for no value. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return `${ms.toFixed(Math.abs(ms) < 100 ? 1 : 0)} ms`;
}
