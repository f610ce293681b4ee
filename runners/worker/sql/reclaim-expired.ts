import type { SqlQuery } from '../../shared/sql-query.js';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import { queueIdentifiers, type QueueShape } from '../queue-table.js';

/**
 * Hands back rows whose lease expired (their worker died or hung): to pending, or to failed once they used up
 * maxAttempts. Every live worker runs this now and then; SKIP LOCKED lets two of them do it at once without
 * waiting on each other or on a worker that is finishing the same row right now.
 */
export function reclaimExpired(shape: QueueShape, queue: StressRunSpec['queue']): SqlQuery {
  const { t, id, status, touched } = queueIdentifiers(shape, queue);
  return {
    name: 'bulkhead_reclaim_expired',
    text: `
      WITH expired AS (
        SELECT ${id} FROM ${t} WHERE ${status} = $1 AND locked_at < now() - make_interval(secs => $2) FOR UPDATE SKIP LOCKED)
      UPDATE ${t} AS t SET ${status} = CASE WHEN coalesce(t.attempts, 0) >= $3 THEN $4 ELSE $5 END,
        last_error = 'lease of ' || $2 || 's expired; it was claimed by ' || coalesce(t.locked_by, 'unknown'),
        locked_by = NULL, locked_at = NULL${touched}
      FROM expired WHERE t.${id} = expired.${id}
      RETURNING t.${status}::text AS status`,
    values: [queue.statuses.processing, queue.leaseSeconds, queue.maxAttempts, queue.statuses.failed, queue.statuses.pending],
  };
}
