import { ident, qualified, parseTableName } from '../../shared/ident.js';
import type { SqlQuery } from '../../shared/sql-query.js';

/** Rows of a queue table by status, read before and after the run to check the workers' counts against. */
export function queueCounts(table: string, statusColumn: string): SqlQuery {
  const t = parseTableName(table);
  return {
    text: `SELECT ${ident(statusColumn)}::text AS status, count(*)::int AS n FROM ${qualified(t.schema, t.table)} GROUP BY 1`,
    values: [],
  };
}
