import type { SqlQuery } from '../../shared/sql-query.js';
import { qualified } from '../../shared/ident.js';
import type { PlannedColumn } from '../import-plan.js';
import { notRejected, typedValue } from './value-expression.js';

/**
 * Whether the staged rows (rejects left out) already have strictly increasing keys in line order: then the file
 * has no duplicate keys and is in key order, and the merge can read staging directly, skipping a sort of every
 * row. Exports are very often written in key order.
 *
 * lag() over an empty window sees rows in scan order, which for this append-only table is line order; the
 * _line comparison makes the check verify that itself, so an unexpected scan order only costs the fast route.
 */
export function checkKeyOrder(importId: string, schema: string, stage: string, key: PlannedColumn[], anyRejects: boolean): SqlQuery {
  const keyRow = key.map(typedValue).join(', ');
  const k = key.length === 1 ? keyRow : `ROW(${keyRow})`;
  const filter = anyRejects ? `WHERE ${notRejected('$1')}` : 'WHERE $1::text IS NOT NULL';
  return {
    text: `
      SELECT coalesce(bool_and(ordered), true) AS ordered FROM (
        SELECT s._line > lag(s._line) OVER w AND ${k} > lag(${k}) OVER w AS ordered
        FROM ${qualified(schema, stage)} s ${filter}
        WINDOW w AS ()) x`,
    values: [importId],
  };
}
