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

/** The text value a planned column takes from a staging row aliased `s`, transform applied, not yet cast. */
export function valueExpression(column: PlannedColumn): string {
  const staged = `s.${stageColumn(column.csvIndex)}`;
  return column.transform ? TRANSFORMS[column.transform](staged) : staged;
}
