import type { SqlQuery } from '../../shared/sql-query.js';
import type { Latency } from '../../shared/latency.js';

/**
 * This worker process's rolling latency summary, one row per process and role (owner defaults to current_user;
 * see migration 3 in runners/shared/bulkhead-schema/migrations.ts). About 100 bytes a second per process.
 */
export function publishWorkerSignals(worker: string, windowSeconds: number, claims: Latency, completions: Latency): SqlQuery {
  return {
    name: 'bulkhead_publish_worker_signals',
    text: `INSERT INTO bulkhead.worker_signals AS s (worker, updated_at, window_seconds, claims, claim_p50_ms, claim_p95_ms, claim_p99_ms,
  completions, completion_p50_ms, completion_p95_ms, completion_p99_ms)
VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (owner, worker) DO UPDATE SET updated_at = now(), window_seconds = EXCLUDED.window_seconds,
  claims = EXCLUDED.claims, claim_p50_ms = EXCLUDED.claim_p50_ms, claim_p95_ms = EXCLUDED.claim_p95_ms, claim_p99_ms = EXCLUDED.claim_p99_ms,
  completions = EXCLUDED.completions, completion_p50_ms = EXCLUDED.completion_p50_ms,
  completion_p95_ms = EXCLUDED.completion_p95_ms, completion_p99_ms = EXCLUDED.completion_p99_ms`,
    values: [worker, windowSeconds, claims.count, claims.p50 ?? null, claims.p95 ?? null, claims.p99 ?? null,
      completions.count, completions.p50 ?? null, completions.p95 ?? null, completions.p99 ?? null],
  };
}

/** Removes this process's row when it stops, so a paced import stops counting it at once. */
export function retractWorkerSignals(worker: string): SqlQuery {
  return { text: 'DELETE FROM bulkhead.worker_signals WHERE worker = $1 AND owner = current_user', values: [worker] };
}
