import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * One sample of the server, once a second: client backends in all and this run's import and workers (by their
 * exact application_name, so that other bulkhead runs on the server are not counted as this one's), and the
 * backends waiting for a lock (who, and the longest wait, from pg_locks.waitstart, PostgreSQL 14+). Only client
 * backends count against max_connections; autovacuum and background workers have slots of their own. The
 * parallel workers of the import's CREATE INDEX carry its application_name too, but are background workers.
 */
export function sampleServer(importApplications: string[], workerApplications: string[]): SqlQuery {
  return {
    name: 'bulkhead_local_sample_server',
    text: `SELECT
       count(*) FILTER (WHERE backend_type = 'client backend')::int AS clients,
       count(*) FILTER (WHERE backend_type = 'client backend' AND application_name = ANY($1::text[]))::int AS import,
       count(*) FILTER (WHERE backend_type = 'client backend' AND application_name = ANY($2::text[]))::int AS worker,
       count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS lock_waiting,
       coalesce(json_agg(DISTINCT application_name) FILTER (WHERE wait_event_type = 'Lock'), '[]'::json) AS lock_waiters,
       (SELECT coalesce(extract(epoch FROM max(now() - waitstart)), 0)::float8 FROM pg_locks WHERE NOT granted) AS longest_lock_wait
     FROM pg_stat_activity`,
    values: [importApplications, workerApplications],
  };
}
