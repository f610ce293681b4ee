import { ident, qualified, type TableName } from '../../shared/ident.js';
import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * The highest value of an integer key in a table, or 0 when it is empty. A generated CSV starts after it, so
 * every run imports new rows (the seed's import is new rows), and a second run on the same server is no
 * re-import of unchanged rows, which would measure a different merge.
 */
export function lastKey(table: TableName, key: string): SqlQuery {
  return { text: `SELECT coalesce(max(${ident(key)}), 0)::text AS last FROM ${qualified(table.schema, table.table)}`, values: [] };
}
