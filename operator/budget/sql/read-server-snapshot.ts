import type { SqlQuery } from '../../../runners/shared/sql-query.js';
import { COUNTED_AS_CLIENT_BACKEND } from './client-backend-rows.js';

/**
 * max_connections, the reserved slots, the client backends per application_name, and whether this role sees
 * other roles' sessions, in one round trip over one read of pg_stat_activity. Only client backends count:
 * autovacuum and background workers have slots of their own outside max_connections. reserved_connections only
 * exists from PostgreSQL 16, hence current_setting(…, true). A role without pg_read_all_stats cannot tell other
 * roles' client backends from their background workers: those rows count as client backends (hidden_sessions
 * says how many), see client-backend-rows.ts.
 */
export function readServerSnapshot(): SqlQuery {
  return {
    text: `SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int
         + coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int AS reserved_connections,
       current_user AS role,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS stats_visible,
       coalesce(a.by_application, '{}'::json) AS by_application,
       coalesce(a.hidden_sessions, 0)::int AS hidden_sessions
FROM (SELECT json_object_agg(application_name, n) AS by_application, sum(hidden) AS hidden_sessions FROM (
        SELECT application_name, count(*)::int AS n, count(*) FILTER (WHERE backend_type IS NULL)::int AS hidden
        FROM pg_stat_activity WHERE ${COUNTED_AS_CLIENT_BACKEND} GROUP BY application_name) g) a`,
    values: [],
  };
}
