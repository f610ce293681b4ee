import type { SqlQuery } from '../../shared/sql-query.js';
import type { SkippedRow } from '../copy-to-stage.js';
import { maybeShortened } from '../copy-skips.js';

/**
 * Records the rows COPY skipped (typed staging, PostgreSQL 17+). Its NOTICE names the line, the column and the
 * value but not what was wrong, so the reason is PostgreSQL's own message for that value and type, computed here
 * for these few rows only. A value COPY printed shortened may read differently from the whole one; its reason then
 * says so. Type names come from the catalog (format_type), passed as parameters.
 */
export function recordSkippedRows(importId: string, skipped: SkippedRow[], csvNames: string[], stagedTypes: string[]): SqlQuery {
  return {
    text: `INSERT INTO bulkhead.import_rejects (import, line, column_name, reason, value)
           SELECT $1, r.line, r.col,
                  CASE WHEN r.val IS NULL THEN format('null value is not allowed by type %s', r.typ)
                       ELSE coalesce((pg_input_error_info(r.val, r.typ)).message, format('invalid input for type %s', r.typ))
                            || CASE WHEN r.shortened THEN ' (COPY reported only the start of a longer value)' ELSE '' END
                  END,
                  left(r.val, 200)
           FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bool[]) AS r(line, col, val, typ, shortened)`,
    values: [
      importId,
      skipped.map((s) => s.line),
      skipped.map((s) => csvNames[s.csvIndex] ?? ''),
      skipped.map((s) => s.value),
      skipped.map((s) => stagedTypes[s.csvIndex] ?? 'text'),
      skipped.map((s) => s.value !== null && maybeShortened(s.value)),
    ],
  };
}
