import type { SqlQuery } from '../../../runners/shared/sql-query.js';

/** COPY progress of an import's sessions, found by application_name (pg_stat_progress_copy, PostgreSQL 14+). */
export function readCopyProgress(applicationName: string): SqlQuery {
  return {
    name: 'bulkhead_read_copy_progress',
    text: `SELECT coalesce(sum(p.bytes_processed), 0)::bigint AS bytes, coalesce(sum(p.tuples_processed), 0)::bigint AS tuples, count(p.pid)::int AS copying
FROM pg_stat_activity a JOIN pg_stat_progress_copy p ON p.pid = a.pid WHERE a.application_name = $1`,
    values: [applicationName],
  };
}
