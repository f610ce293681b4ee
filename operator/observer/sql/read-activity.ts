import type { SqlQuery } from '../../../runners/shared/sql-query.js';
import { COUNTED_AS_CLIENT_BACKEND } from '../../budget/sql/client-backend-rows.js';

/**
 * One server's activity in one round trip: client backends by state (`hidden` for other roles' sessions when this
 * role lacks pg_read_all_stats, counted as the budget counts them), backends waiting on a heavyweight lock by
 * application_name, and the longest current lock wait.
 *
 * Waiters come from pg_locks, not from pg_stat_activity's wait_event_type: pg_locks shows every role's locks to
 * any role, while wait_event_type is NULL on the rows of other roles without pg_read_all_stats, which would hide
 * exactly the waits worth an alert. application_name stays visible to all. pg_locks.waitstart (PostgreSQL 14+)
 * is when the wait began. The CTE is read twice, so PostgreSQL materialises it: one pass over the lock table.
 */
export function readActivity(): SqlQuery {
  return {
    name: 'bulkhead_read_activity',
    text: `WITH waiting AS (SELECT pid, waitstart FROM pg_locks WHERE NOT granted AND pid IS NOT NULL)
SELECT
  coalesce((SELECT json_object_agg(state, n) FROM (
    SELECT CASE WHEN backend_type IS NULL THEN 'hidden' ELSE coalesce(state, 'unknown') END AS state, count(*)::int AS n
    FROM pg_stat_activity WHERE ${COUNTED_AS_CLIENT_BACKEND} GROUP BY 1) s), '{}'::json) AS by_state,
  coalesce((SELECT json_object_agg(application_name, n) FROM (
    SELECT coalesce(a.application_name, '') AS application_name, count(DISTINCT w.pid)::int AS n
    FROM waiting w LEFT JOIN pg_stat_activity a ON a.pid = w.pid GROUP BY 1) x), '{}'::json) AS lock_waiting,
  coalesce((SELECT extract(epoch FROM max(now() - waitstart)) FROM waiting WHERE waitstart IS NOT NULL), 0)::float8 AS lock_wait_max`,
    values: [],
  };
}
