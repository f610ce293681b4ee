import type { ClaimTiming, UpdateTiming } from './timings-reader.js';
import { latency, type Latency } from '../shared/latency.js';

/** A stretch of the run: the baseline, an import phase, the cooldown. Times in epoch milliseconds. */
export interface Window {
  name: string;
  start: number;
  end: number;
}

/** What the workers did in one window. */
export interface WindowStats {
  name: string;
  seconds: number;
  claim: Latency;
  update: Latency;
  /** Rows finished (completed, failed or handed back for a retry), per minute. */
  itemsPerMinute: number | undefined;
  items: number;
}

/** Rows finished by a completion statement. */
export function itemsOf(u: UpdateTiming): number {
  return u.completed + u.failed + u.retried;
}

/** A statement belongs to the window in which it started. */
function inWindow(w: { start: number; end: number }) {
  return (s: { at: number }): boolean => s.at >= w.start && s.at < w.end;
}

/** The workers' numbers for one window. Claims that found nothing count too: they are what a worker waits on. */
export function windowStats(w: Window, claims: readonly ClaimTiming[], updates: readonly UpdateTiming[]): WindowStats {
  const inside = inWindow(w);
  const seconds = (w.end - w.start) / 1000;
  const finished = updates.filter(inside);
  const items = finished.reduce((n, u) => n + itemsOf(u), 0);
  return {
    name: w.name,
    seconds: Math.round(seconds * 10) / 10,
    claim: latency(claims.filter(inside).map((c) => c.ms)),
    update: latency(finished.map((u) => u.ms)),
    items,
    itemsPerMinute: seconds > 0 ? Math.round((items * 60) / seconds) : undefined,
  };
}

/** The change from the baseline, in percent, or undefined when either side is missing. */
export function changePercent(value: number | undefined, baseline: number | undefined): number | undefined {
  if (value === undefined || baseline === undefined || baseline === 0) return undefined;
  return Math.round(((value - baseline) / baseline) * 1000) / 10;
}

/** One point of the time series: a bucket of the run. */
export interface SeriesPoint {
  /** Seconds from the start of the run to the bucket's start. */
  t: number;
  itemsPerMinute: number;
  claimP50: number | undefined;
  claimP95: number | undefined;
  /** The completion UPDATE's, which the merge slows most. */
  updateP50: number | undefined;
  updateP95: number | undefined;
}

/** Throughput and claim and completion latency in buckets of `bucketMs`, from `start` to `end`. */
export function timeSeries(start: number, end: number, bucketMs: number, claims: readonly ClaimTiming[], updates: readonly UpdateTiming[]): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let b = start; b < end; b += bucketMs) {
    const w = { name: '', start: b, end: Math.min(end, b + bucketMs) };
    if (w.end - w.start < bucketMs / 2) break;
    const s = windowStats(w, claims, updates);
    points.push({
      t: Math.round((b - start) / 100) / 10, itemsPerMinute: s.itemsPerMinute ?? 0,
      claimP50: s.claim.p50, claimP95: s.claim.p95, updateP50: s.update.p50, updateP95: s.update.p95,
    });
  }
  return points;
}
