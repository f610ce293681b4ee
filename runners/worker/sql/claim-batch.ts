import type { SqlQuery } from '../../shared/sql-query.js';
import { ident } from '../../shared/ident.js';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import { queueConstants, queueIdentifiers, type QueueShape } from '../queue-table.js';

/**
 * Claims up to batchSize pending rows in one statement, which commits at once: the CTE picks ids in id order with
 * FOR UPDATE SKIP LOCKED, so concurrent workers never wait on each other's rows and never pick the same row,
 * and the UPDATE marks them processing with who and when, counting the attempt. The pending partial index
 * makes the pick an index range scan however many completed rows the table has. Statuses and batch size are in
 * the text (queueConstants), so the prepared statement runs on one cached plan instead of being planned per claim.
 *
 * Outcomes are recorded by a separate statement (finishBatch), not in this one. Riding along saved a round trip,
 * but deadlocked at 8 workers: a SKIP LOCKED pick that re-checks a row another worker just claimed keeps that
 * row's lock until its transaction ends, and a completion in the same transaction could then wait on a worker
 * that waited on it. Alone, a claim never waits, and a completion holds only its own rows, so no cycle can form.
 */
export function claimBatch(shape: QueueShape, queue: StressRunSpec['queue'], workerId: string, withUrl: boolean): SqlQuery {
  const { t, id, status, touched } = queueIdentifiers(shape, queue);
  const c = queueConstants(queue);
  const url = withUrl ? `t.${ident(queue.urlColumn)}::text` : 'NULL::text';
  return {
    name: 'bulkhead_claim_batch',
    text: `
      WITH picked AS (
        SELECT ${id} FROM ${t} WHERE ${status} = ${c.pending} ORDER BY ${id} LIMIT ${c.batchSize} FOR UPDATE SKIP LOCKED)
      UPDATE ${t} AS t SET ${status} = ${c.processing}, locked_by = $1, locked_at = now(), attempts = coalesce(t.attempts, 0) + 1${touched}
      FROM picked WHERE t.${id} = picked.${id}
      RETURNING t.${id}::text AS id, t.attempts, ${url} AS url`,
    values: [workerId],
  };
}
