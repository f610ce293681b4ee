import type { Session } from '../../shared/session.js';
import type { SqlQuery } from '../../shared/sql-query.js';
import type { Readings, WorkerLatency } from './pacing-controller.js';

/** The worker summaries a reading covers: those written in the last few seconds (workers write one a second). */
const FRESH_SECONDS = 3;

/** What the import reads between chunks, in one statement. */
export interface PacingRead {
  workers: Omit<Readings, 'lockWaiters'>;
  /** The operator's live control for this import (import_control), or undefined with none. */
  control: { paused: boolean; pacing: unknown } | undefined;
}

/**
 * One statement between chunks: the workers' latency across every role (bulkhead.worker_latency returns aggregates
 * only), this import's live control, and, when asked for, the largest standby replay lag. pg_stat_replication shows
 * a role without pg_monitor its standbys but not their lag: the lag then reads as silent (NULL), not as zero.
 */
function pacingRead(importId: string, withLag: boolean): SqlQuery {
  const lag = withLag ? '(SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication)' : 'NULL::float8';
  return {
    name: `bulkhead_pacing_read_${withLag ? 'lag' : 'nolag'}`,
    text: `SELECT w.claim_p95_ms, w.completion_p95_ms, (extract(epoch FROM w.as_of) * 1000)::float8 AS as_of_ms,
  c.paused, c.pacing, ${lag} AS lag_seconds
FROM bulkhead.worker_latency($1) w
LEFT JOIN bulkhead.import_control c ON c.import = $2 AND c.owner = current_user`,
    values: [FRESH_SECONDS, importId],
  };
}

interface PacingRow {
  claim_p95_ms: number | null;
  completion_p95_ms: number | null;
  as_of_ms: number | null;
  paused: boolean | null;
  pacing: unknown;
  lag_seconds: number | null;
}

const orUndefined = <T>(v: T | null | undefined): T | undefined => v ?? undefined;

/** Reads the signals and the live control. */
export async function readPacing(session: Session, importId: string, withLag: boolean): Promise<PacingRead> {
  const { rows: [row] } = await session.query<PacingRow>(pacingRead(importId, withLag));
  return {
    workers: {
      claimP95Ms: orUndefined(row?.claim_p95_ms),
      completionP95Ms: orUndefined(row?.completion_p95_ms),
      workersAsOf: orUndefined(row?.as_of_ms),
      replicationLagSeconds: orUndefined(row?.lag_seconds),
    },
    control: row?.paused === null || row?.paused === undefined ? undefined : { paused: row.paused, pacing: row.pacing },
  };
}

/**
 * The workers' baseline: the highest of `samples` readings a second apart, before the import loads the server.
 * One reading covers only the last few seconds, and its p95 is close to the few slowest statements in them, so it
 * moves by tens of percent from one to the next. Measured with `bulkhead local --compare-pacing` (three workers,
 * about 15 claims a second), the median of five 3 s readings put the claim's baseline at 13.4 ms while its p95
 * over the whole 15 s baseline was 19.2 ms, and ordinary readings then crossed +25% in 6 of 13 seconds before any
 * import ran. The highest of five comes close to the p95 over all of them.
 */
export async function readBaseline(session: Session, importId: string, samples: number, wait: (ms: number) => Promise<unknown>): Promise<WorkerLatency> {
  const claims: number[] = [];
  const completions: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await wait(1000);
    const { workers } = await readPacing(session, importId, false);
    // No worker publishes: nothing to wait for.
    if (workers.workersAsOf === undefined) break;
    if (workers.claimP95Ms !== undefined) claims.push(workers.claimP95Ms);
    if (workers.completionP95Ms !== undefined) completions.push(workers.completionP95Ms);
  }
  return { claimP95Ms: highest(claims), completionP95Ms: highest(completions) };
}

function highest(values: number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

/**
 * Other sessions waiting on a lock this session holds. Run inside a chunk's transaction, just before its COMMIT:
 * that is when the chunk's row locks are still held, and so the only moment the count can be other than zero.
 */
export async function countLockWaiters(session: Session): Promise<number> {
  const { rows } = await session.query<{ n: number }>({
    name: 'bulkhead_count_lock_waiters',
    text: 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))',
    values: [],
  });
  return rows[0]?.n ?? 0;
}
