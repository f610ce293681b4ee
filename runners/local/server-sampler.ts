import type pg from 'pg';
import { sampleServer } from './sql/sample-server.js';

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
}

/** The application names of a run's runners, by role. */
export interface RunApplications {
  import: string[];
  worker: string[];
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
  };
}
