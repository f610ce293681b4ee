import { ident, qualified } from '../../shared/ident.js';
import type { ImportPlan } from '../import-plan.js';
import { notRejected, typedValue } from './value-expression.js';

/** Where the merge reads its rows: the ready table, or staging itself when the file is already in key order. */
export interface MergeSource {
  /** FROM clause, aliased s. */
  from: string;
  /** The SELECT list, in plan.columns order. */
  select: string;
  /** The column that orders and chunks the rows. */
  order: '_seq' | '_line';
  /** A predicate that leaves rejected lines out, given the parameter that holds the import id; '' when none. */
  filter: (importParam: string) => string;
}

/** The ready table: typed, de-duplicated, numbered in key order by _seq. */
export function readySource(schema: string, ready: string, plan: ImportPlan): MergeSource {
  return {
    from: `${qualified(schema, ready)} s`,
    select: plan.columns.map((c) => `s.${ident(c.target.name)}`).join(', '),
    order: '_seq',
    filter: () => '',
  };
}

/**
 * Staging, read directly: valid only when its rows are already strictly in key order by line (see
 * checkKeyOrder), so there is nothing to de-duplicate or sort. Values are cast on the way into the target.
 */
export function stageSource(schema: string, stage: string, plan: ImportPlan, anyRejects: boolean): MergeSource {
  return {
    from: `${qualified(schema, stage)} s`,
    select: plan.columns.map(typedValue).join(', '),
    order: '_line',
    filter: (p) => (anyRejects ? `AND ${notRejected(p)}` : ''),
  };
}
