import { latency } from '../shared/latency.js';
import type { ImportTracker } from './import-tracker.js';
import { itemsOf } from './measurements.js';
import type { LiveStatus } from './progress-display.js';
import type { MeasuredRun } from './run-local.js';
import type { WorkerFleet } from './worker-fleet.js';

/** The live numbers: items per second and claim p95 over the last 5 s, the import's rows, connections, lock waits. */
export function liveStatus(run: MeasuredRun, fleets: WorkerFleet[], window: string, tracker: ImportTracker, importStarted: boolean): LiveStatus {
  const now = Date.now();
  const recent = (s: { at: number }): boolean => s.at >= now - 5000;
  const items = run.updates.filter(recent).reduce((n, u) => n + itemsOf(u), 0);
  const sample = run.samples.at(-1);
  const capacity = run.budget?.capacity;
  return {
    elapsedSeconds: (now - run.startedAt) / 1000,
    window,
    import: importStarted ? { phase: tracker.phase, rows: tracker.rows, totalRows: run.import?.rows, rowsPerSecond: tracker.rowsPerSecond, pacing: sample?.pacing?.state, ended: tracker.finalRows !== undefined } : undefined,
    workers: {
      running: fleets.reduce((n, f) => n + f.running, 0),
      wanted: fleets.reduce((n, f) => n + f.run.validated.workers, 0),
      itemsPerSecond: Math.round(items / 5),
      claimP95Ms: latency(run.claims.filter(recent).map((c) => c.ms)).p95,
      completionP95Ms: latency(run.updates.filter(recent).map((u) => u.ms)).p95,
    },
    connections: {
      bulkhead: (sample?.importConnections ?? 0) + (sample?.workerConnections ?? 0),
      capacity: capacity?.capacity ?? 0, clients: sample?.clients ?? 0, maxConnections: capacity?.maxConnections ?? 0,
    },
    lockWaits: {
      now: sample?.lockWaiting ?? 0,
      peak: Math.max(0, ...run.samples.map((s) => s.lockWaiting)),
      longestSeconds: Math.max(0, ...run.samples.map((s) => s.longestLockWait)),
    },
  };
}
