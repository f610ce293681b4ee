import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * The import's bookkeeping: its phase and rows done out of the total, one row per import (namespace/name) and
 * role (owner defaults to current_user, see runners/shared/bulkhead-schema/migrations.ts), reset when a run starts
 * and written after each committed merge chunk, with the merge's pacing (runners/import/pacing) when it is paced. The operator reads it into status.progress while the merge runs;
 * it is informational only (a crash leaves the last value, and the next run overwrites it).
 */
export function recordImportProgress(importId: string, phase: 'copy' | 'merge', done: number, total: number, pacing?: object): SqlQuery {
  return {
    name: 'bulkhead_record_import_progress',
    text: `INSERT INTO bulkhead.import_progress (import, phase, rows_done, rows_total, pacing, updated_at) VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (owner, import) DO UPDATE SET phase = EXCLUDED.phase, rows_done = EXCLUDED.rows_done, rows_total = EXCLUDED.rows_total,
  pacing = EXCLUDED.pacing, updated_at = EXCLUDED.updated_at`,
    values: [importId, phase, done, total, pacing === undefined ? null : JSON.stringify(pacing)],
  };
}
