/** Latency percentiles of one kind of statement, in milliseconds; undefined with no statement. */
export interface Latency {
  count: number;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

/** The q-quantile of ascending values, linearly interpolated between closest ranks (as numpy's default). */
export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? a;
  return a + (b - a) * (pos - lo);
}

/** p50, p95 and p99 of durations. */
export function latency(durations: readonly number[]): Latency {
  const sorted = [...durations].sort((x, y) => x - y);
  return { count: sorted.length, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99) };
}
