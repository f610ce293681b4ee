import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * bulkhead's own schema: staging tables live here, apart from the user's tables, and so does the reject table.
 * Rejects are kept per import (the latest run's), keyed by namespace/name, and so is the merge bookkeeping that
 * the operator reads for live progress (pg_stat_progress_copy covers only the COPY).
 */
export function ensureSchema(): SqlQuery {
  return {
    text: `
      CREATE SCHEMA IF NOT EXISTS bulkhead;
      CREATE TABLE IF NOT EXISTS bulkhead.import_rejects (
        import text NOT NULL, line bigint NOT NULL, column_name text NOT NULL, reason text NOT NULL, value text,
        recorded_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX IF NOT EXISTS import_rejects_import_line ON bulkhead.import_rejects (import, line);
      CREATE TABLE IF NOT EXISTS bulkhead.import_progress (
        import text PRIMARY KEY, phase text NOT NULL, rows_done bigint NOT NULL, rows_total bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now());`,
    values: [],
  };
}
