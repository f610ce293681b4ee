import type { ImportSummary } from '../import/summary.js';
import type { Timeline } from './timeline.js';

/** A pacing record of the import's log (runners/import/pacing/merge-pacer.ts, run-import.ts). */
export interface PacingEvent {
  /** Epoch milliseconds. */
  at: number;
  event: 'workers-baseline' | 'throttled' | 'unthrottled';
  /** throttled: the signal over its limit and its reading. */
  signal?: string;
  value?: string;
  /** workers-baseline: the p95s the import measures an increase against. */
  claimP95Ms?: number;
  completionP95Ms?: number;
}

const PACING_EVENTS = new Set(['workers-baseline', 'throttled', 'unthrottled']);

/** The import's phases that the report names, as the import runner logs them (runners/import/progress.ts). */
const PHASES = new Set(['copy', 'check', 'dedupe', 'merge']);

/** Follows an import runner's log records: its phase, rows and rows per second, and the timeline's windows. */
export class ImportTracker {
  phase = 'validate';
  rows = 0;
  rowsPerSecond = 0;
  /** Seconds per phase, as the runner saw them. */
  readonly phaseSeconds = new Map<string, number>();
  readonly pacingEvents: PacingEvent[] = [];
  /** Rows the merge went through, from the summary, once the import has ended. */
  finalRows: number | undefined;
  private phaseStart = Date.now();

  constructor(private readonly timeline: Timeline, private readonly onDone: () => void) {}

  /** Called when the runner starts: its first phase, validation, begins. */
  started(at = Date.now()): void {
    this.phaseStart = at;
    this.timeline.begin('validate', at);
  }

  /** Takes one log record of the import runner. */
  onRecord(record: Record<string, unknown>): void {
    const at = typeof record.time === 'string' ? Date.parse(record.time) : Date.now();
    if (record.event === 'phase' && typeof record.phase === 'string') {
      this.phaseSeconds.set(this.phase, Math.round(at - this.phaseStart) / 1000);
      this.phase = record.phase;
      this.phaseStart = at;
      // The display keeps the merge's rows once done, until finished() has the summary's.
      if (record.phase !== 'done') this.rows = 0;
      this.rowsPerSecond = 0;
      if (PHASES.has(record.phase)) this.timeline.begin(record.phase, at);
      if (record.phase === 'done') this.onDone();
    } else if (record.event === 'progress' && typeof record.rows === 'number') {
      this.rows = record.rows;
      this.rowsPerSecond = typeof record.rowsPerSecond === 'number' ? record.rowsPerSecond : 0;
    } else if (typeof record.event === 'string' && PACING_EVENTS.has(record.event)) {
      const { event, signal, value, claimP95Ms, completionP95Ms } = record as Omit<PacingEvent, 'at'>;
      this.pacingEvents.push({ at, event, signal, value, claimP95Ms, completionP95Ms });
    }
  }

  /**
   * The import has ended: its rows are the summary's, every row the merge went through (inserted, updated and
   * unchanged), rather than its last progress record, which is up to a second (a few chunks) old.
   */
  finished(summary: ImportSummary | undefined): void {
    if (summary?.phase !== 'Succeeded') return;
    this.finalRows = summary.rowsInserted + summary.rowsUpdated + summary.rowsUnchanged;
    this.rows = this.finalRows;
    this.rowsPerSecond = 0;
  }
}
