import type { SqlQuery } from '../../shared/sql-query.js';
import { ident, qualified } from '../../shared/ident.js';
import type { ImportPlan } from '../import-plan.js';

/** Options of the merge that shape the statement. */
export interface MergeOptions {
  strategy: 'upsert' | 'insertOnly';
  updateChangedOnly: boolean;
}

/** The column list, and OVERRIDING SYSTEM VALUE when an identity ALWAYS column is written from the file. */
export function insertTarget(plan: ImportPlan): { into: string; select: string; overriding: string } {
  const names = plan.columns.map((c) => ident(c.target.name)).join(', ');
  return {
    into: `${qualified(plan.table.schema, plan.table.table)} AS t (${names})`,
    select: names,
    overriding: plan.columns.some((c) => c.target.identityAlways) ? 'OVERRIDING SYSTEM VALUE' : '',
  };
}

/** How one column compares in IS DISTINCT FROM: directly, or as text for types without equality (json, point). */
function comparable(column: ImportPlan['columns'][number], alias: string): string {
  const ref = `${alias}.${ident(column.target.name)}`;
  return column.target.comparable ? ref : `${ref}::text`;
}

/**
 * Merges one chunk of the ready table (_seq in ($1, $2]) and counts what happened, exactly.
 *
 * RETURNING (xmax = 0) tells an inserted row (no deleting transaction yet) from one updated by ON CONFLICT, whose
 * new version carries this transaction's xid in xmax. Rows neither inserted nor updated were unchanged: the
 * WHERE ... IS DISTINCT FROM skipped them, so identical rows write nothing, not even WAL.
 */
export function mergeChunk(plan: ImportPlan, schema: string, ready: string, options: MergeOptions): SqlQuery {
  const { into, select, overriding } = insertTarget(plan);
  const keys = plan.key.map((c) => ident(c.target.name)).join(', ');
  const rest = plan.columns.filter((c) => !c.isKey);
  let conflict = 'DO NOTHING';
  if (options.strategy === 'upsert' && rest.length > 0) {
    const set = `(${rest.map((c) => ident(c.target.name)).join(', ')}) = ROW(${rest.map((c) => `EXCLUDED.${ident(c.target.name)}`).join(', ')})`;
    const changed = options.updateChangedOnly
      ? ` WHERE (${rest.map((c) => comparable(c, 't')).join(', ')}) IS DISTINCT FROM (${rest.map((c) => comparable(c, 'EXCLUDED')).join(', ')})`
      : '';
    conflict = `DO UPDATE SET ${set}${changed}`;
  }
  return {
    name: 'bulkhead_merge_chunk',
    text: `
      WITH merged AS (
        INSERT INTO ${into} ${overriding}
        SELECT ${select} FROM ${qualified(schema, ready)} WHERE _seq > $1 AND _seq <= $2 ORDER BY _seq
        ON CONFLICT (${keys}) ${conflict}
        RETURNING (xmax = 0) AS inserted)
      SELECT count(*) FILTER (WHERE inserted)::int8 AS inserted, count(*) FILTER (WHERE NOT inserted)::int8 AS updated FROM merged`,
    values: [],
  };
}
