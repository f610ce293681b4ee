import type { SqlQuery } from '../../shared/sql-query.js';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import { queueConstants, queueIdentifiers, type QueueShape } from '../queue-table.js';

/** What became of one claimed row. */
export interface Outcome {
  id: string;
  /** completed; failed for good; retry goes back to pending unless attempts reached maxAttempts. */
  kind: 'completed' | 'failed' | 'retry';
  error: string | null;
  result: unknown;
}

/**
 * Records a batch of outcomes in one UPDATE, by id. The guard (status = processing AND locked_by = this worker)
 * means a row whose lease expired and that another worker re-claimed is never finished twice, and that repeating
 * the statement after a dropped connection is harmless. Returns each row's new status. Statuses and maxAttempts
 * are in the text (queueConstants), so the statement runs on one cached plan instead of being planned per batch.
 */
export function finishBatch(shape: QueueShape, queue: StressRunSpec['queue'], workerId: string, outcomes: Outcome[]): SqlQuery {
  const { t, id, status, touched } = queueIdentifiers(shape, queue);
  const c = queueConstants(queue);
  const result = shape.hasResult ? ', result = coalesce(r.result, t.result)' : '';
  return {
    name: 'bulkhead_finish_batch',
    text: `
      UPDATE ${t} AS t SET
        ${status} = CASE WHEN r.kind = 'completed' THEN ${c.completed}
                         WHEN r.kind = 'failed' OR t.attempts >= ${c.maxAttempts} THEN ${c.failed}
                         ELSE ${c.pending} END,
        last_error = r.error, locked_by = NULL, locked_at = NULL${result}${touched}
      FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS r(id, kind, error, result)
      WHERE t.${id} = r.id::${shape.idType} AND t.${status} = ${c.processing} AND t.locked_by = $5
      RETURNING t.${status}::text AS status`,
    values: [
      outcomes.map((o) => o.id), outcomes.map((o) => o.kind), outcomes.map((o) => o.error),
      outcomes.map((o) => (o.result === undefined || o.result === null ? null : JSON.stringify(o.result))),
      workerId,
    ],
  };
}
