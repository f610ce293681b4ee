import type { SqlQuery } from '../../shared/sql-query.js';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import { queueIdentifiers, type QueueShape } from '../queue-table.js';

/** Whether any row is pending or processing (both answered from the partial indexes), for --drain. */
export function queueActivity(shape: QueueShape, queue: StressRunSpec['queue']): SqlQuery {
  const { t, status } = queueIdentifiers(shape, queue);
  return {
    name: 'bulkhead_queue_activity',
    text: `SELECT EXISTS (SELECT 1 FROM ${t} WHERE ${status} = $1) AS pending, EXISTS (SELECT 1 FROM ${t} WHERE ${status} = $2) AS processing`,
    values: [queue.statuses.pending, queue.statuses.processing],
  };
}
