import type { SqlQuery } from '../../shared/sql-query.js';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import { queueIdentifiers, type QueueShape } from '../queue-table.js';

/**
 * Returns the unfinished claims of the given owners (this worker's lanes) to pending and takes back the attempt they were charged, since nothing
 * was tried: at shutdown for rows not yet processed, and after a reconnect for rows claimed by a statement whose
 * answer was lost. Rows whose ids are in $4 (still being worked on) are kept.
 */
export function releaseClaims(shape: QueueShape, queue: StressRunSpec['queue'], owners: string[], keep: string[]): SqlQuery {
  const { t, id, status, touched } = queueIdentifiers(shape, queue);
  return {
    text: `
      UPDATE ${t} AS t SET ${status} = $1, attempts = greatest(coalesce(t.attempts, 1) - 1, 0), locked_by = NULL, locked_at = NULL${touched}
      WHERE t.${status} = $2 AND t.locked_by = ANY($3::text[]) AND NOT (t.${id}::text = ANY($4::text[]))`,
    values: [queue.statuses.pending, queue.statuses.processing, owners, keep],
  };
}
