import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * The merge pacing the import last reported (bulkhead.import_progress.pacing, written after each chunk), sampled
 * once a second so the report can say how long a paced merge spent Throttled or AtFloor. NULL when unpaced; the row
 * is this role's (RLS shows no other's).
 */
export function readImportPacing(importId: string): SqlQuery {
  return {
    name: 'bulkhead_local_read_import_pacing',
    text: 'SELECT phase, pacing FROM bulkhead.import_progress WHERE import = $1 AND owner = current_user',
    values: [importId],
  };
}
