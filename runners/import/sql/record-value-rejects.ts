import type { SqlQuery } from '../../shared/sql-query.js';
import { qualified } from '../../shared/ident.js';
import { needsTypeCheck, type PlannedColumn } from '../import-plan.js';
import { stagedTyped, type StageLayout } from '../stage-layout.js';
import { valueExpression } from './value-expression.js';

/** How values are checked: 16+'s built-ins, or 15's pg_temp function (see input-error-function.ts). */
interface InputCheck {
  invalid: (value: string, typeName: string, typeOid: string, typmod: string) => string;
  message: (value: string, typeName: string, typeOid: string, typmod: string) => string;
}

const BUILTIN: InputCheck = {
  invalid: (v, name) => `NOT pg_input_is_valid(${v}, ${name})`,
  message: (v, name) => `(pg_input_error_info(${v}, ${name})).message`,
};
const FUNCTION: InputCheck = {
  invalid: (v, _name, oid, typmod) => `pg_temp.bulkhead_input_error(${v}, ${oid}, ${typmod}) IS NOT NULL`,
  message: (v, _name, oid, typmod) => `pg_temp.bulkhead_input_error(${v}, ${oid}, ${typmod})`,
};

/**
 * Finds every staged value that would fail in the merge, set-wise, and records it as a reject: text that is not
 * valid input for the column's type (with its modifier), and NULL in a NOT NULL or key column. Checking before
 * merging is what lets a bad file be refused with nothing merged. Columns COPY already read in their own type
 * (typed staging) need no input check, and a NULL loaded as it is was already refused by the runner
 * (record-checks.ts); what is left is text-staged values and the results of transforms.
 *
 * The per-row test (every column OR'ed) is pushed down to the scan, so a good row costs one pg_input_is_valid()
 * per typed value and nothing more; only bad rows are expanded into one row per column to say which failed.
 * Returns undefined when no column needs a check (all text, all nullable).
 */
export function recordValueRejects(importId: string, schema: string, stage: string, columns: PlannedColumn[], layout: StageLayout, builtinCheck: boolean): SqlQuery | undefined {
  const check = builtinCheck ? BUILTIN : FUNCTION;
  const values: unknown[] = [importId];
  const param = (v: unknown, cast: string): string => `$${values.push(v)}::${cast}`;
  const perRow: string[] = [];
  const perValue: string[] = [];
  for (const c of columns) {
    const typed = needsTypeCheck(c.target) && !stagedTyped(layout, c);
    const notNull = (c.target.notNull || c.isKey) && c.transform !== undefined;
    if (!typed && !notNull) continue;
    const expr = valueExpression(c);
    const name = param(c.csvName, 'text');
    const typeName = typed ? param(c.target.type, 'text') : 'NULL::text';
    const typeOid = typed ? param(c.target.typeOid, 'oid') : 'NULL::oid';
    const typmod = param(c.target.typmod, 'int');
    if (notNull) perRow.push(`${expr} IS NULL`);
    if (typed) perRow.push(`(${expr} IS NOT NULL AND ${check.invalid(expr, typeName, typeOid, typmod)})`);
    perValue.push(`(${name}, ${expr}, ${typeName}, ${typeOid}, ${typmod}, ${notNull})`);
  }
  if (perRow.length === 0) return undefined;
  return {
    text: `
      INSERT INTO bulkhead.import_rejects (import, line, column_name, reason, value)
      SELECT $1, s._line, v.col,
             CASE WHEN v.val IS NULL THEN 'null value in a column that must not be null'
                  ELSE ${check.message('v.val', 'v.typname', 'v.typ', 'v.typmod')} END,
             left(v.val, 200)
      FROM ${qualified(schema, stage)} s
      CROSS JOIN LATERAL (VALUES ${perValue.join(', ')}) AS v(col, val, typname, typ, typmod, not_null)
      WHERE (${perRow.join(' OR ')})
        AND ((v.val IS NULL AND v.not_null)
             OR (v.val IS NOT NULL AND v.typname IS NOT NULL AND ${check.invalid('v.val', 'v.typname', 'v.typ', 'v.typmod')}))`,
    values,
  };
}
