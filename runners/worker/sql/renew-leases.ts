import type { SqlQuery } from '../../shared/sql-query.js';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import { queueIdentifiers, type QueueShape } from '../queue-table.js';

/**
 * Renews the lease of the rows the given owners (a lane) still hold, so a batch that legitimately takes longer
 * than leaseSeconds (slow URLs, a large batch) is not handed to another worker while it is still being worked on.
 * The lane's heartbeat runs it while a batch is in flight; a row another worker already reclaimed is not touched.
 */
export function renewLeases(shape: QueueShape, queue: StressRunSpec['queue'], owners: string[]): SqlQuery {
  const { t, status } = queueIdentifiers(shape, queue);
  return {
    name: 'bulkhead_renew_leases',
    text: `UPDATE ${t} SET locked_at = now() WHERE ${status} = $1 AND locked_by = ANY($2::text[])`,
    values: [queue.statuses.processing, owners],
  };
}
