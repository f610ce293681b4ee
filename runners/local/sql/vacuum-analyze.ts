import { qualified, type TableName } from '../../shared/ident.js';
import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * VACUUM ANALYZE of one table, between two timelines: the first left dead rows (the deleted import, the queue's
 * updates) that autovacuum would otherwise clean up in the middle of the second one's measurements. Outside any
 * transaction, as VACUUM must be.
 */
export function vacuumAnalyze(table: TableName): SqlQuery {
  return { text: `VACUUM (ANALYZE) ${qualified(table.schema, table.table)}`, values: [] };
}
