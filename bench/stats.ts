/** Percentiles of the benchmarks' timings, one definition for all of them. */

/** The values in ascending order (a copy). */
export function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * The p-th percentile (0 < p <= 100) of values sorted ascending, by nearest rank: the smallest
 * value with at least p% of the values at or below it. The 100th is the largest.
 */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
