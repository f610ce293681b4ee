import { Counter, Gauge, Registry } from 'prom-client';
import { PACING_STATES, type PacingStatus } from './pacing/pacing-controller.js';

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

  private readonly pacingState = new Gauge({
    name: 'bulkhead_import_pacing_state',
    help: 'The merge pacing (spec.merge.pacing): 1 for the current state (Running, Throttled, AtFloor, Paused), 0 for the others; no series while unpaced.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly pacingRate = new Gauge({
    name: 'bulkhead_import_merge_rows_per_second',
    help: 'Rows merged per second over the last chunk and the pause after it, while the merge is paced.',
    registers: [this.registry],
  });
  private readonly pacingChunk = new Gauge({
    name: 'bulkhead_import_merge_chunk_rows',
    help: 'Rows in the next merge chunk, as the pacing set it.',
    registers: [this.registry],
  });
  private readonly pacingPause = new Gauge({
    name: 'bulkhead_import_merge_pause_seconds',
    help: 'The pause before the next merge chunk, as the pacing set it.',
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

  /** Shows the merge's pacing; undefined (unpaced) removes the series. */
  setPacing(status: PacingStatus | undefined): void {
    if (!status) {
      for (const g of [this.pacingState, this.pacingRate, this.pacingChunk, this.pacingPause]) g.reset();
      return;
    }
    for (const state of PACING_STATES) this.pacingState.set({ state }, state === status.state ? 1 : 0);
    this.pacingRate.set(status.rowsPerSecond);
    this.pacingChunk.set(status.chunkRows);
    this.pacingPause.set(status.pauseMilliseconds / 1000);
  }

  /** Sets the time spent in a phase. */
  setPhaseSeconds(phase: 'copy' | 'merge', seconds: number): void {
    this.phaseSeconds.set({ phase }, seconds);
  }
}
