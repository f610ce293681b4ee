import type { SqlQuery } from '../../shared/sql-query.js';
import { ident, qualified } from '../../shared/ident.js';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import type { QueueShape } from '../queue-table.js';

/** Whether any row is pending or processing (both answered from the partial indexes), for --drain. */
export function queueActivity(shape: QueueShape, queue: StressRunSpec['queue']): SqlQuery {
  const t = qualified(shape.table.schema, shape.table.table);
  const status = ident(queue.statusColumn);
  return {
    name: 'bulkhead_queue_activity',
    text: `SELECT EXISTS (SELECT 1 FROM ${t} WHERE ${status} = $1) AS pending, EXISTS (SELECT 1 FROM ${t} WHERE ${status} = $2) AS processing`,
    values: [queue.statuses.pending, queue.statuses.processing],
  };
}
