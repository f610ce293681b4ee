import type pg from 'pg';
import { sampleServer } from './sql/sample-server.js';
import { readMergeProgress } from '../../operator/observer/sql/read-merge-progress.js';
import { pacingFromRow, type ImportPacing } from '../../operator/csv-import/pacing-status.js';

/** One look at the server (see sql/sample-server.ts). */
export interface ServerSample {
  /** Epoch milliseconds. */
  at: number;
  clients: number;
  /** Connections of bulkhead's local import and workers. */
  importConnections: number;
  workerConnections: number;
  lockWaiting: number;
  lockWaiters: string[];
  /** Seconds of the longest lock wait in progress. */
  longestLockWait: number;
  /** The merge pacing the import last reported, while its merge is paced. */
  pacing: ImportPacing | undefined;
}

/** The application names of a run's runners, by role. */
export interface RunApplications {
  import: string[];
  worker: string[];
  /** The import's id in bulkhead.import_progress (namespace/name), when the scenario has one. */
  importId: string | undefined;
}

/** Takes one sample on the given connection. */
export async function takeSample(client: pg.Client, applications: RunApplications): Promise<ServerSample> {
  const at = Date.now();
  const { rows } = await client.query<{ clients: number; import: number; worker: number; lock_waiting: number; lock_waiters: string[]; longest_lock_wait: number }>(sampleServer(applications.import, applications.worker));
  const r = rows[0];
  if (!r) throw new Error('pg_stat_activity returned no row');
  return {
    at, clients: r.clients, importConnections: r.import, workerConnections: r.worker,
    lockWaiting: r.lock_waiting, lockWaiters: r.lock_waiters, longestLockWait: Math.round(r.longest_lock_wait * 1000) / 1000,
    pacing: applications.importId === undefined ? undefined : await mergePacing(client, applications.importId),
  };
}

/**
 * The pacing while the import's progress says merge (a finished run's row keeps its last pacing, not wanted here),
 * read and checked as the operator reads it into status.pacing.
 */
async function mergePacing(client: pg.Client, importId: string): Promise<ImportPacing | undefined> {
  const { rows } = await client.query<{ phase: string; pacing: unknown }>(readMergeProgress(importId));
  const row = rows[0];
  return row?.phase === 'merge' ? pacingFromRow(row.pacing) : undefined;
}
