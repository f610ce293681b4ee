import type { PacingState } from '../import/pacing/pacing-controller.js';
import type { MeasuredRun } from './run-local.js';
import type { TimelineReport } from './report-data.js';

/** What a paced merge did, from the once-a-second samples of its reported pacing and from its log. */
export interface PacingReport {
  /** spec.merge.pacing as the import got it. */
  spec: Record<string, unknown>;
  /** Seconds of the merge spent in each state, as sampled; before its first chunk reported, a merge has none. */
  stateSeconds: Partial<Record<PacingState, number>>;
  /** How often the import logged `throttled` (a move from Running), and the first time, in s after the merge began. */
  throttles: number;
  firstThrottleSeconds: number | undefined;
  /** The workers' p95s the import measured its increase against (the median of 5 readings before its COPY). */
  importBaseline: { claimP95Ms: number | undefined; completionP95Ms: number | undefined } | undefined;
  /** The smallest chunk and the longest pause sampled during the merge. */
  smallestChunkRows: number | undefined;
  longestPauseMilliseconds: number | undefined;
}

/** The goal of issue 13: paced, the workers' p95s during the merge within +25% of their baseline, the merge within 1.5x. */
export const PACING_GOAL = { p95IncreasePercent: 25, mergeRatio: 1.5 };

/** The two timelines of --compare-pacing, side by side. */
export interface PacingComparison {
  goal: typeof PACING_GOAL;
  /** The merge's seconds (the import's own measure) unpaced and paced, and paced / unpaced. */
  mergeSeconds: { off: number | undefined; on: number | undefined; ratio: number | undefined };
  /** Whether the paced timeline met the goal; undefined when a number is missing. */
  met: boolean | undefined;
  /** Each part of the goal it missed, with the number. */
  misses: string[];
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Seconds per state over the merge window: each sample's state holds until the next sample. */
function stateSeconds(samples: MeasuredRun['samples'], merge: { start: number; end: number }): PacingReport['stateSeconds'] {
  const out: PacingReport['stateSeconds'] = {};
  samples.forEach((s, i) => {
    const state = s.pacing?.state;
    if (state === undefined || s.at < merge.start || s.at >= merge.end) return;
    const until = Math.min(merge.end, samples[i + 1]?.at ?? merge.end);
    out[state] = round1((out[state] ?? 0) + (until - s.at) / 1000);
  });
  return out;
}

/** What the paced merge of a timeline did; run.pacing must be set. */
export function pacingReport(run: MeasuredRun): PacingReport {
  const merge = run.windows.find((w) => w.name === 'merge');
  const events = run.import?.pacingEvents ?? [];
  const throttles = events.filter((e) => e.event === 'throttled');
  const baseline = events.find((e) => e.event === 'workers-baseline');
  const during = merge ? run.samples.filter((s) => s.pacing && s.at >= merge.start && s.at < merge.end).map((s) => s.pacing) : [];
  const first = throttles[0];
  return {
    spec: run.pacing ?? {},
    stateSeconds: merge ? stateSeconds(run.samples, merge) : {},
    throttles: throttles.length,
    firstThrottleSeconds: first && merge ? round1((first.at - merge.start) / 1000) : undefined,
    importBaseline: baseline && { claimP95Ms: baseline.claimP95Ms, completionP95Ms: baseline.completionP95Ms },
    smallestChunkRows: during.length > 0 ? Math.min(...during.map((p) => p?.chunkRows ?? Infinity)) : undefined,
    longestPauseMilliseconds: during.length > 0 ? Math.max(...during.map((p) => p?.pauseMilliseconds ?? 0)) : undefined,
  };
}

/** The merge's seconds: the import's own measure, else the merge window's. */
export function mergeSecondsOf(t: TimelineReport): number | undefined {
  return t.import?.summary?.mergeSeconds ?? t.windows.find((w) => w.name === 'merge')?.seconds;
}

/** The unpaced and the paced timeline, against the goal. */
export function comparePacing(off: TimelineReport, on: TimelineReport): PacingComparison {
  const [offSeconds, onSeconds] = [mergeSecondsOf(off), mergeSecondsOf(on)];
  const ratio = offSeconds && onSeconds !== undefined ? Math.round((onSeconds / offSeconds) * 100) / 100 : undefined;
  const change = on.windows.find((w) => w.name === 'merge')?.change;
  const checks: [string, number | undefined, number, string][] = [
    ['claim p95', change?.claimP95, PACING_GOAL.p95IncreasePercent, '%'],
    ['completion p95', change?.updateP95, PACING_GOAL.p95IncreasePercent, '%'],
    ['merge time', ratio, PACING_GOAL.mergeRatio, 'x'],
  ];
  const misses = checks.filter(([, v, limit]) => v !== undefined && v > limit)
    .map(([what, v, limit, unit]) => (unit === '%' ? `${what} +${v}% (goal +${limit}%)` : `${what} ${v}x unpaced (goal ${limit}x)`));
  const missing = checks.some(([, v]) => v === undefined);
  return { goal: PACING_GOAL, mergeSeconds: { off: offSeconds, on: onSeconds, ratio }, met: missing ? undefined : misses.length === 0, misses };
}
