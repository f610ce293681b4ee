import type { SqlQuery } from '../../shared/sql-query.js';
import { ident, qualified } from '../../shared/ident.js';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import type { QueueShape } from '../queue-table.js';
import { finishUpdate, type Outcome } from './finish-batch.js';

/**
 * Claims up to $2 pending rows in one statement, which commits at once: the CTE picks ids in id order with
 * FOR UPDATE SKIP LOCKED, so concurrent workers never wait on each other's rows and never pick the same row,
 * and the UPDATE marks them processing with who and when, counting the attempt. The pending partial index
 * makes the pick an index range scan however many completed rows the table has.
 *
 * With `finished`, the previous batch's outcomes are recorded by the same statement: one round trip per batch
 * instead of two, which is what lets a worker come close to raw SQL. The two touch disjoint rows (processing rows
 * of this worker, pending rows) and see one snapshot, so a row handed back for retry is claimable from the next
 * statement on. Rows come back tagged: status for a finished row, id for a claimed one.
 */
export function claimBatch(shape: QueueShape, queue: StressRunSpec['queue'], workerId: string, withUrl: boolean, finished: Outcome[] = []): SqlQuery {
  const t = qualified(shape.table.schema, shape.table.table);
  const id = ident(queue.idColumn);
  const status = ident(queue.statusColumn);
  const url = withUrl ? `t.${ident(queue.urlColumn)}::text` : 'NULL::text';
  const touched = shape.hasUpdatedAt ? ', updated_at = now()' : '';
  const finish = finished.length > 0 ? finishUpdate(shape, queue, workerId, finished, 5) : undefined;
  return {
    name: finish ? 'bulkhead_finish_and_claim' : 'bulkhead_claim_batch',
    text: `
      WITH ${finish ? `finished AS (${finish.text}),` : ''}
      picked AS (
        SELECT ${id} FROM ${t} WHERE ${status} = $1 ORDER BY ${id} LIMIT $2 FOR UPDATE SKIP LOCKED),
      claimed AS (
        UPDATE ${t} AS t SET ${status} = $3, locked_by = $4, locked_at = now(), attempts = coalesce(t.attempts, 0) + 1${touched}
        FROM picked WHERE t.${id} = picked.${id}
        RETURNING t.${id}::text AS id, t.attempts, ${url} AS url)
      SELECT id, attempts, url, NULL::text AS status FROM claimed
      ${finish ? 'UNION ALL SELECT NULL, NULL, NULL, status FROM finished' : ''}`,
    values: [queue.statuses.pending, queue.batchSize, queue.statuses.processing, workerId, ...(finish?.values ?? [])],
  };
}
