import type { SqlQuery } from '../../../runners/shared/sql-query.js';

/** An import's bookkeeping row (runners/import/sql/record-import-progress.ts); the caller checks the table exists. */
export function readMergeProgress(importId: string): SqlQuery {
  return {
    name: 'bulkhead_read_merge_progress',
    text: `SELECT phase, rows_done FROM bulkhead.import_progress WHERE import = $1`,
    values: [importId],
  };
}

/** Whether the bookkeeping table exists yet (no import has run on a fresh server). */
export function progressTableExists(): SqlQuery {
  return { text: "SELECT to_regclass('bulkhead.import_progress') IS NOT NULL AS exists", values: [] };
}
