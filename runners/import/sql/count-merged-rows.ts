import type { SqlQuery } from '../../shared/sql-query.js';
import type { MergeSource } from './merge-source.js';

/**
 * How many of the merge source's rows the chunks up to order-column value $1 held (rejected lines left out, as
 * the merge leaves them out; $2 is the import id): with the inserted and updated counts, how many were unchanged.
 */
export function countMergedRows(source: MergeSource, upTo: number, importId: string): SqlQuery {
  return {
    text: `SELECT count(*)::int8 AS rows FROM ${source.from} WHERE s.${source.order} <= $1 AND $2::text IS NOT NULL ${source.filter('$2')}`,
    values: [upTo, importId],
  };
}
