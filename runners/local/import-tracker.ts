import type { Timeline } from './timeline.js';

/** The import's phases that the report names, as the import runner logs them (runners/import/progress.ts). */
const PHASES = new Set(['copy', 'check', 'dedupe', 'merge']);

/** Follows an import runner's log records: its phase, rows and rows per second, and the timeline's windows. */
export class ImportTracker {
  phase = 'validate';
  rows = 0;
  rowsPerSecond = 0;
  /** Seconds per phase, as the runner saw them. */
  readonly phaseSeconds = new Map<string, number>();
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
      // The display keeps the merge's rows once done.
      if (record.phase !== 'done') this.rows = 0;
      this.rowsPerSecond = 0;
      if (PHASES.has(record.phase)) this.timeline.begin(record.phase, at);
      if (record.phase === 'done') this.onDone();
    } else if (record.event === 'progress' && typeof record.rows === 'number') {
      this.rows = record.rows;
      this.rowsPerSecond = typeof record.rowsPerSecond === 'number' ? record.rowsPerSecond : 0;
    }
  }
}
