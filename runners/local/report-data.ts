import { changePercent, timeSeries, windowStats, type SeriesPoint, type WindowStats } from './measurements.js';
import type { Latency } from '../shared/latency.js';
import type { MeasuredRun } from './run-local.js';
import type { ServerSample } from './server-sampler.js';
import type { ChartWindow } from './chart.js';
import { comparePacing, pacingReport, type PacingComparison, type PacingReport } from './report-pacing.js';

/** report.json: one timeline, or two with --compare-pacing and their comparison. */
export interface Report {
  startedAt: string;
  command: string;
  server: { embedded: boolean; url: string; maxConnections: number | undefined };
  timelines: TimelineReport[];
  /** With --compare-pacing, once both timelines ran: the merge of each against its baseline, and the goal. */
  comparison: PacingComparison | undefined;
}

/** One timeline: the measured table, the run's facts, and the raw series. Times are seconds from its start. */
export interface TimelineReport {
  /** 'pacing off' or 'pacing on' with --compare-pacing. */
  label: string | undefined;
  startedAt: string;
  seconds: number;
  interrupted: boolean;
  failure: string | undefined;
  /** One row per window in timeline order, with the change from the baseline. */
  windows: (WindowStats & { start: number; end: number; change: Change | undefined })[];
  /** The import's phases in seconds, as the runner logged them, and its summary line. */
  import: (NonNullable<MeasuredRun['import']> & { waitedSeconds: number | undefined }) | undefined;
  stressRuns: MeasuredRun['stressRuns'];
  totals: { claims: number; items: number; completed: number; failed: number; retried: number };
  connections: {
    maxConnections: number | undefined; reserved: number | undefined; headroom: number | undefined; capacity: number | undefined;
    peakClients: number; peakBulkhead: number; peakImport: number; peakWorkers: number;
  };
  lockWaits: { samplesWithWaits: number; samples: number; peakWaiting: number; longestSeconds: number; waiters: string[] };
  /** The merge pacing the import ran with and what it did; undefined when unpaced. */
  pacing: PacingReport | undefined;
  series: {
    /** Buckets of 1 s or more (about 120 over the run). */
    throughput: SeriesPoint[];
    samples: (Omit<ServerSample, 'at'> & { t: number })[];
    /** [t, ms, rows] per claim statement. */
    claims: [number, number, number][];
    /** [t, ms, completed, failed, retried] per completion statement. */
    updates: [number, number, number, number, number][];
  };
}

/** Change from the baseline in %, per measure. */
export interface Change {
  claimP50: number | undefined;
  claimP95: number | undefined;
  claimP99: number | undefined;
  updateP50: number | undefined;
  updateP95: number | undefined;
  updateP99: number | undefined;
  itemsPerMinute: number | undefined;
}

/** Chart buckets: about 120 over the run, at least a second each. */
function bucketMs(run: MeasuredRun): number {
  return Math.max(1000, Math.round((run.endedAt - run.startedAt) / 120 / 1000) * 1000);
}

function change(w: WindowStats, base: WindowStats): Change {
  const l = (a: Latency, b: Latency, k: 'p50' | 'p95' | 'p99'): number | undefined => changePercent(a[k], b[k]);
  return {
    claimP50: l(w.claim, base.claim, 'p50'), claimP95: l(w.claim, base.claim, 'p95'), claimP99: l(w.claim, base.claim, 'p99'),
    updateP50: l(w.update, base.update, 'p50'), updateP95: l(w.update, base.update, 'p95'), updateP99: l(w.update, base.update, 'p99'),
    itemsPerMinute: changePercent(w.itemsPerMinute, base.itemsPerMinute),
  };
}

/** Turns what the timelines measured into the report's numbers. */
export function buildReport(runs: MeasuredRun[], server: Report['server'], command: string): Report {
  const timelines = runs.map(timelineReport);
  const [off, on] = timelines;
  return {
    startedAt: timelines[0]?.startedAt ?? new Date().toISOString(), command, server, timelines,
    comparison: off && on ? comparePacing(off, on) : undefined,
  };
}

/** One timeline's numbers. */
function timelineReport(run: MeasuredRun): TimelineReport {
  const rel = (at: number): number => Math.round((at - run.startedAt) / 100) / 10;
  // An import admitted at once leaves a waiting window of a few milliseconds: not worth a row.
  const stats = run.windows.filter((w) => w.name !== 'waiting' || w.end - w.start >= 100).map((w) => ({ ...windowStats(w, run.claims, run.updates), start: rel(w.start), end: rel(w.end) }));
  const base = stats.find((s) => s.name === 'baseline');
  const sum = (k: 'completed' | 'failed' | 'retried'): number => run.updates.reduce((n, u) => n + u[k], 0);
  const s = run.samples;
  const capacity = run.budget?.capacity;
  const windows = stats.map((w) => ({ ...w, change: base && w.start > base.start ? change(w, base) : undefined }));
  return {
    label: run.label,
    startedAt: new Date(run.startedAt).toISOString(),
    seconds: rel(run.endedAt),
    interrupted: run.interrupted,
    failure: run.failure,
    // Only what came after the baseline is compared with it; start-up is warm-up.
    windows,
    import: run.import && {
      ...run.import,
      waitedSeconds: run.import.admittedAt !== undefined && run.import.appliedAt !== undefined ? (run.import.admittedAt - run.import.appliedAt) / 1000 : undefined,
    },
    stressRuns: run.stressRuns,
    totals: { claims: run.claims.length, items: sum('completed') + sum('failed') + sum('retried'), completed: sum('completed'), failed: sum('failed'), retried: sum('retried') },
    connections: {
      maxConnections: capacity?.maxConnections, reserved: capacity?.reserved, headroom: capacity?.headroom, capacity: capacity?.capacity,
      peakClients: Math.max(0, ...s.map((x) => x.clients)),
      peakBulkhead: Math.max(0, ...s.map((x) => x.importConnections + x.workerConnections)),
      peakImport: Math.max(0, ...s.map((x) => x.importConnections)),
      peakWorkers: Math.max(0, ...s.map((x) => x.workerConnections)),
    },
    lockWaits: {
      samplesWithWaits: s.filter((x) => x.lockWaiting > 0).length,
      samples: s.length,
      peakWaiting: Math.max(0, ...s.map((x) => x.lockWaiting)),
      longestSeconds: Math.max(0, ...s.map((x) => x.longestLockWait)),
      waiters: [...new Set(s.flatMap((x) => x.lockWaiters))],
    },
    pacing: run.pacing && pacingReport(run),
    series: {
      throughput: timeSeries(run.startedAt, run.endedAt, bucketMs(run), run.claims, run.updates),
      samples: s.map(({ at, ...rest }) => ({ t: rel(at), ...rest })),
      claims: run.claims.map((c) => [rel(c.at), c.ms, c.rows]),
      updates: run.updates.map((u) => [rel(u.at), u.ms, u.completed, u.failed, u.retried]),
    },
  };
}

/** The import's windows, for the chart's shading; the baseline and the cooldown are left out. */
export function importPhases(report: TimelineReport): ChartWindow[] {
  return report.windows.filter((w) => !['startup', 'baseline', 'cooldown'].includes(w.name)).map((w) => ({ name: w.name, start: w.start, end: w.end }));
}
