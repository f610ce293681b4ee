import type { PlannedColumn, TransformName } from '../import-plan.js';
import { stageColumn } from './create-stage.js';

/** The whitelisted transforms as SQL over a staged text value. */
const TRANSFORMS: Record<TransformName, (v: string) => string> = {
  // NFKC folds look-alike code points; collapsing white space and lower-casing makes names comparable.
  normalize: (v) => `lower(regexp_replace(btrim(normalize(${v}, NFKC)), '\\s+', ' ', 'g'))`,
  lower: (v) => `lower(${v})`,
  upper: (v) => `upper(${v})`,
  trim: (v) => `btrim(${v})`,
  nullIfEmpty: (v) => `nullif(${v}, '')`,
};

/** A transform as SQL over a text expression: also what the import bench's baseline computes, so both do the same work. */
export function transformExpression(transform: TransformName, value: string): string {
  return TRANSFORMS[transform](value);
}

/** The text value a planned column takes from a staging row aliased `s`, transform applied, not yet cast. */
export function valueExpression(column: PlannedColumn): string {
  const staged = `s.${stageColumn(column.csvIndex)}`;
  return column.transform ? transformExpression(column.transform, staged) : staged;
}

/** The same value cast to the target column's type (catalog-made type name), as it goes into the target. */
export function typedValue(column: PlannedColumn): string {
  return `CAST(${valueExpression(column)} AS ${column.target.type})`;
}

/** A predicate that leaves out staging rows (aliased `s`) rejected by this import, whose id is in `importParam`. */
export function notRejected(importParam: string): string {
  return `NOT EXISTS (SELECT 1 FROM bulkhead.import_rejects r WHERE r.import = ${importParam} AND r.line = s._line)`;
}
