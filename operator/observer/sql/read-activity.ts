import type { SqlQuery } from '../../../runners/shared/sql-query.js';

/**
 * One server's activity in one round trip: client backends by state, backends waiting on a heavyweight lock
 * by application_name, and the longest current lock wait. pg_locks.waitstart (PostgreSQL 14+) is when the
 * wait began; pg_stat_activity has no such column.
 */
export function readActivity(): SqlQuery {
  return {
    name: 'bulkhead_read_activity',
    text: `SELECT
  coalesce((SELECT json_object_agg(state, n) FROM (
    SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM pg_stat_activity
    WHERE backend_type = 'client backend' GROUP BY 1) s), '{}'::json) AS by_state,
  coalesce((SELECT json_object_agg(application_name, n) FROM (
    SELECT application_name, count(*)::int AS n FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' GROUP BY 1) w), '{}'::json) AS lock_waiting,
  coalesce((SELECT extract(epoch FROM max(now() - waitstart)) FROM pg_locks WHERE NOT granted AND waitstart IS NOT NULL), 0)::float8 AS lock_wait_max`,
    values: [],
  };
}
