import type { SqlQuery } from '../../shared/sql-query.js';
import { qualified } from '../../shared/ident.js';

/** Drops one of bulkhead's own staging tables. */
export function dropTable(schema: string, table: string): SqlQuery {
  return { text: `DROP TABLE IF EXISTS ${qualified(schema, table)}`, values: [] };
}
