import type { SqlQuery } from '../../../runners/shared/sql-query.js';

/**
 * max_connections, the reserved slots and the client backends per application_name, in one round trip.
 * Only client backends count: autovacuum and background workers have slots of their own outside
 * max_connections. reserved_connections only exists from PostgreSQL 16, hence current_setting(…, true).
 * Seeing other roles' application_name needs pg_monitor (or pg_read_all_stats) for a non-superuser.
 */
export function readServerSnapshot(): SqlQuery {
  return {
    text: `SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int
         + coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int AS reserved_connections,
       coalesce((SELECT json_object_agg(application_name, n) FROM (
         SELECT application_name, count(*)::int AS n FROM pg_stat_activity
         WHERE backend_type = 'client backend' GROUP BY application_name) a), '{}'::json) AS by_application`,
    values: [],
  };
}
