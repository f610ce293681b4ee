import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { testDatabase } from '../harness/test-database.js';
import { buildWorkerConfig } from '../../runners/worker/worker-command.js';
import { queueShape, readQueueTable } from '../../runners/worker/queue-table.js';
import { claimBatch } from '../../runners/worker/sql/claim-batch.js';
import { finishBatch } from '../../runners/worker/sql/finish-batch.js';
import { createQueue } from './worker-fixtures.js';

const db = await testDatabase(import.meta.url);

test('the claim and the completion run on a cached generic plan, not one planned per batch', async () => {
  await createQueue(db.pool, 'planned', 20_000);
  // With statistics, as a real queue has them: without any, a bound status looks as cheap as the written one.
  await db.pool.query('ANALYZE planned');
  const { spec } = buildWorkerConfig({ table: 'planned', processor: 'noop' }, {});
  const table = await readQueueTable(db.pool, { schema: 'public', table: 'planned' });
  assert.ok(table);
  const shape = queueShape(table, spec.queue);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    // PostgreSQL tries 5 custom plans before it weighs the generic one; 12 batches leave it 7 chances.
    for (let i = 0; i < 12; i++) {
      const { rows } = await client.query<{ id: string }>(claimBatch(shape, spec.queue, 'planner', false));
      assert.equal(rows.length, spec.queue.batchSize);
      await client.query(finishBatch(shape, spec.queue, 'planner', rows.map((r) => ({ id: r.id, kind: 'completed', error: null, result: null }))));
    }
    const { rows } = await client.query<{ name: string; generic: number }>('SELECT name, generic_plans::int AS generic FROM pg_prepared_statements ORDER BY name');
    assert.deepEqual(rows, [{ name: 'bulkhead_claim_batch', generic: 7 }, { name: 'bulkhead_finish_batch', generic: 7 }]);
  } finally {
    await client.end();
  }
});
