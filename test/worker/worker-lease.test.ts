import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import { scratchDir } from '../import/import-fixtures.js';
import { createQueue, runWorker, statusCounts, stressRunManifest } from './worker-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

test('batches that outlast the lease: the heartbeat holds them, so two workers process each row exactly once', async () => {
  await createQueue(db.pool, 'q_heartbeat', 8);
  // Each batch of 4 takes 3 s against a 1 s lease; renewing only between batches let the other worker reclaim it.
  const spec = { queue: { table: 'q_heartbeat', batchSize: 4, leaseSeconds: 1, maxAttempts: 5 }, processor: { type: 'sleep', sleep: { minMs: 3000, maxMs: 3000 } } };
  const manifest = stressRunManifest(dir, 'heartbeat', spec);
  // The heartbeat renews on the connection the worker already holds: never more than one per worker.
  let mostConnections = 0;
  const watcher = setInterval(() => {
    void db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'bulkhead/worker/local/heartbeat'")
      .then(({ rows }) => (mostConnections = Math.max(mostConnections, rows[0]?.n ?? 0)), () => undefined);
  }, 100);
  const results = await Promise.all([1, 2].map(() => runWorker(db.url, ['--manifest', manifest, '--drain'])));
  clearInterval(watcher);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await statusCounts(db.pool, 'q_heartbeat'), { 'completed/1': 8 });
  for (const r of results) assert.doesNotMatch(r.stderr, /outlived their 1s lease|renew-failed/);
  assert.equal(mostConnections, 2, 'one connection per worker');
  const done = results.map((r) => JSON.parse(r.stderr.trim().split('\n').filter((l) => l.includes('"event":"done"')).pop() ?? '{}') as { claimed: number; completed: number });
  assert.deepEqual(done.map((d) => [d.claimed, d.completed]), [[4, 4], [4, 4]], 'each worker claimed one batch and completed it');
  const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM q_heartbeat WHERE last_error IS NOT NULL OR locked_by IS NOT NULL");
  assert.deepEqual(rows[0], { n: 0 });
});
