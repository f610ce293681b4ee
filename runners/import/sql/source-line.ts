import type { SqlQuery } from '../../shared/sql-query.js';
import type { MergeSource } from './merge-source.js';

/**
 * The file line of the merge source's row whose order-column value is $1. Staging and the ready table both keep
 * each row's _line (in staging it is the order column itself), so a row the merge names maps back to the CSV.
 */
export function sourceLine(source: MergeSource, order: number): SqlQuery {
  return { text: `SELECT s._line AS line FROM ${source.from} WHERE s.${source.order} = $1`, values: [order] };
}
