import type { SqlQuery } from '../../shared/sql-query.js';
import { qualified } from '../../shared/ident.js';
import { needsTypeCheck, type PlannedColumn } from '../import-plan.js';
import { valueExpression } from './value-expression.js';

/**
 * Finds every staged value that would fail in the merge, set-wise in one pass over staging, and records it as a
 * reject: text that is not valid input for the column's type, and NULL in a NOT NULL or key column. Checking
 * before merging is what lets a bad file be refused with nothing merged.
 * Returns undefined when no column needs a check (all text, all nullable).
 */
export function recordValueRejects(importId: string, schema: string, stage: string, columns: PlannedColumn[]): SqlQuery | undefined {
  const values: unknown[] = [importId];
  const rows: string[] = [];
  for (const c of columns) {
    const typed = needsTypeCheck(c.target);
    const notNull = c.target.notNull || c.isKey;
    if (!typed && !notNull) continue;
    values.push(c.csvName, typed ? c.target.typeOid : null, c.target.typmod, notNull);
    const n = values.length;
    rows.push(`($${n - 3}::text, ${valueExpression(c)}, $${n - 2}::oid, $${n - 1}::int, $${n}::bool)`);
  }
  if (rows.length === 0) return undefined;
  return {
    text: `
      INSERT INTO bulkhead.import_rejects (import, line, column_name, reason, value)
      SELECT $1, s._line, v.col,
             CASE WHEN v.val IS NULL THEN 'null value in a column that must not be null' ELSE v.err END,
             left(v.val, 200)
      FROM ${qualified(schema, stage)} s
      CROSS JOIN LATERAL (VALUES ${rows.join(', ')}) AS c(col, val, typ, typmod, not_null)
      CROSS JOIN LATERAL (SELECT c.col, c.val,
                          CASE WHEN c.val IS NOT NULL AND c.typ IS NOT NULL
                               THEN pg_temp.bulkhead_input_error(c.val, c.typ, c.typmod) END AS err, c.not_null) AS v
      WHERE (v.val IS NULL AND v.not_null) OR v.err IS NOT NULL`,
    values,
  };
}
