import { Counter, Gauge, Registry } from 'prom-client';

/** The import runner's metrics (docs/reference/metrics.md is generated from them), on a private registry. */
export class ImportMetrics {
  readonly registry = new Registry();
  private readonly rows = new Counter({
    name: 'bulkhead_import_rows_total',
    help: 'Rows handled by the import, by phase: read from the file, rejected, and inserted, updated or unchanged in the target.',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });
  private readonly phaseSeconds = new Gauge({
    name: 'bulkhead_import_phase_seconds',
    help: 'Seconds spent in each import phase so far.',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });

  constructor() {
    for (const phase of ['read', 'rejected', 'inserted', 'updated', 'unchanged']) this.rows.inc({ phase }, 0);
    for (const phase of ['copy', 'merge']) this.phaseSeconds.set({ phase }, 0);
  }

  /** Adds rows to a phase's counter. */
  addRows(phase: 'read' | 'rejected' | 'inserted' | 'updated' | 'unchanged', n: number): void {
    if (n > 0) this.rows.inc({ phase }, n);
  }

  /** Sets the time spent in a phase. */
  setPhaseSeconds(phase: 'copy' | 'merge', seconds: number): void {
    this.phaseSeconds.set({ phase }, seconds);
  }
}
