import type { SqlQuery } from '../../../runners/shared/sql-query.js';

/**
 * An import's bookkeeping row (runners/import/sql/record-import-progress.ts); the caller checks the table exists.
 * pacing (the runner's pacing state, added by migration 3) is read through to_jsonb so that a schema still at
 * version 2, which a runner of this version migrates only when it starts, reads as no pacing rather than an error.
 * The row is the one this role's runner wrote: row-level security hides the others, except from a superuser.
 */
export function readMergeProgress(importId: string): SqlQuery {
  return {
    name: 'bulkhead_read_merge_progress',
    text: `SELECT phase, rows_done, to_jsonb(p) -> 'pacing' AS pacing FROM bulkhead.import_progress p WHERE import = $1 AND owner = current_user`,
    values: [importId],
  };
}

/** Whether the bookkeeping table exists yet (no import has run on a fresh server). */
export function progressTableExists(): SqlQuery {
  return { text: "SELECT to_regclass('bulkhead.import_progress') IS NOT NULL AS exists", values: [] };
}
