import type { Logger } from '../shared/logger.js';

/** The phases an import goes through, in order. */
export type ImportPhase = 'validate' | 'copy' | 'check' | 'dedupe' | 'merge' | 'done';

/** Logs a progress line (phase, rows, rows per second) at a fixed interval while an import runs. */
export class ProgressReporter {
  private phase: ImportPhase = 'validate';
  private rows = 0;
  private phaseStart = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: Logger, private readonly intervalMs: number) {}

  start(): void {
    this.timer = setInterval(() => this.report(), this.intervalMs);
    this.timer.unref();
  }

  /** Moves to a new phase; its row count starts from zero. */
  enter(phase: ImportPhase): void {
    this.phase = phase;
    this.rows = 0;
    this.phaseStart = performance.now();
    this.log.info({ event: 'phase', phase }, `phase ${phase}`);
  }

  /** Sets the phase's row count so far. */
  setRows(rows: number): void {
    this.rows = rows;
  }

  report(): void {
    const seconds = (performance.now() - this.phaseStart) / 1000;
    const rowsPerSecond = seconds > 0 ? Math.round(this.rows / seconds) : 0;
    this.log.info({ event: 'progress', phase: this.phase, rows: this.rows, rowsPerSecond },
      `${this.phase}: ${this.rows} rows, ${rowsPerSecond} rows/s`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
