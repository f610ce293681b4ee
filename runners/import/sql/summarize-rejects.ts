import type { SqlQuery } from '../../shared/sql-query.js';

/** How many source lines were rejected, and the first few rejects in file order, for the summary. */
export function summarizeRejects(importId: string, sample: number): SqlQuery {
  return {
    text: `SELECT (SELECT count(DISTINCT line) FROM bulkhead.import_rejects WHERE import = $1)::int8 AS lines,
                  (SELECT coalesce(json_agg(r), '[]') FROM (
                     SELECT line, column_name AS column, reason, value FROM bulkhead.import_rejects
                     WHERE import = $1 ORDER BY line, column_name LIMIT $2) r) AS sample`,
    values: [importId, sample],
  };
}
