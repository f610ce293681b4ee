import { ident, qualified, type TableName } from '../../shared/ident.js';
import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * Deletes the rows a generated CSV added: every key after the one that was last before it (see last-key.ts). With
 * --compare-pacing this returns the target to where the first timeline found it, so both imports insert the same
 * new rows into the same table.
 */
export function deleteGeneratedRows(table: TableName, key: string, after: string): SqlQuery {
  return { text: `DELETE FROM ${qualified(table.schema, table.table)} WHERE ${ident(key)} > $1::numeric`, values: [after] };
}
