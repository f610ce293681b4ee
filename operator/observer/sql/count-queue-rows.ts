import type { SqlQuery } from '../../../runners/shared/sql-query.js';
import type { StressRunSpec } from '../../../runners/shared/generated/stressrun.js';
import { ident, qualified, type TableName } from '../../../runners/shared/ident.js';

/**
 * Rows of a queue table in each of the four statuses. The pending and processing counts are answered from the
 * worker's partial indexes; completed and failed need a scan, which is why the operator samples this only
 * every observe interval. The table and column were checked against the catalog before this is built.
 */
export function countQueueRows(table: TableName, queue: StressRunSpec['queue']): SqlQuery {
  const t = qualified(table.schema, table.table);
  const status = ident(queue.statusColumn);
  const { pending, processing, completed, failed } = queue.statuses;
  return {
    text: `SELECT (SELECT count(*) FROM ${t} WHERE ${status} = $1)::bigint AS pending,
       (SELECT count(*) FROM ${t} WHERE ${status} = $2)::bigint AS processing,
       (SELECT count(*) FROM ${t} WHERE ${status} = $3)::bigint AS completed,
       (SELECT count(*) FROM ${t} WHERE ${status} = $4)::bigint AS failed`,
    values: [pending, processing, completed, failed],
  };
}
