import type { SqlQuery } from '../../shared/sql-query.js';
import { ident, qualified } from '../../shared/ident.js';
import type { ImportPlan } from '../import-plan.js';
import type { MergeSource } from './merge-source.js';

/** Options of the merge that shape the statement. */
export interface MergeOptions {
  strategy: 'upsert' | 'insertOnly';
  updateChangedOnly: boolean;
}

/** The INSERT target with its column list, and OVERRIDING SYSTEM VALUE when an identity ALWAYS column is written. */
export function insertTarget(plan: ImportPlan): string {
  const names = plan.columns.map((c) => ident(c.target.name)).join(', ');
  const overriding = plan.columns.some((c) => c.target.identityAlways) ? ' OVERRIDING SYSTEM VALUE' : '';
  return `${qualified(plan.table.schema, plan.table.table)} AS t (${names})${overriding}`;
}

/** How one column compares in IS DISTINCT FROM: directly, or as text for types without equality (json, point). */
function comparable(column: ImportPlan['columns'][number], alias: string): string {
  const ref = `${alias}.${ident(column.target.name)}`;
  return column.target.comparable ? ref : `${ref}::text`;
}

/**
 * Merges one chunk of the source (its order column in ($1, $2]; $3 is the import id) and counts what happened.
 *
 * No ORDER BY: both sources were written in key order, and the BRIN bitmap scan of a chunk's range returns rows
 * in physical order, so the sort would only cost time (about 2s over 3.5M rows). Order never affects the result,
 * only index locality.
 *
 * RETURNING (xmax = 0) tells an inserted row (no deleting transaction yet) from one updated by ON CONFLICT, whose
 * new version carries this transaction's xid in xmax. Rows neither inserted nor updated were unchanged: the
 * WHERE ... IS DISTINCT FROM skipped them, so identical rows write nothing, not even WAL.
 */
export function mergeChunk(plan: ImportPlan, source: MergeSource, options: MergeOptions): SqlQuery {
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
        INSERT INTO ${insertTarget(plan)}
        SELECT ${source.select} FROM ${source.from}
        WHERE s.${source.order} > $1 AND s.${source.order} <= $2 AND $3::text IS NOT NULL ${source.filter('$3')}
        ON CONFLICT (${keys}) ${conflict}
        RETURNING (xmax = 0) AS inserted)
      SELECT count(*) FILTER (WHERE inserted)::int8 AS inserted, count(*) FILTER (WHERE NOT inserted)::int8 AS updated FROM merged`,
    values: [],
  };
}
