import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { testDatabase } from '../harness/test-database.js';
import { scratchDir } from '../import/import-fixtures.js';
import { createQueue, runWorker, statusCounts, stressRunManifest } from './worker-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

/** Signals the worker once it has finished some rows, so a batch is mid-flight. */
function signalAfterProgress(signal: NodeJS.Signals, minCompleted: number): (text: string, child: ChildProcess) => void {
  let sent = false;
  return (text, child) => {
    const m = [...text.matchAll(/"completed":(\d+)/g)].pop();
    if (!sent && m && Number(m[1]) >= minCompleted) {
      sent = true;
      child.kill(signal);
    }
  };
}

test('SIGTERM in the middle of a batch: in-flight work finishes, the rest goes back to pending, exit 143, nothing left processing', async () => {
  await createQueue(db.pool, 'q_term', 400);
  const manifest = stressRunManifest(dir, 'term', { queue: { table: 'q_term', batchSize: 20 }, processor: { type: 'sleep', sleep: { minMs: 100, maxMs: 300 } } });
  const result = await runWorker(db.url, ['--manifest', manifest, '--grace-seconds', '5'], { onStderr: signalAfterProgress('SIGTERM', 20) });
  assert.equal(result.code, 143, result.stderr);
  const counts = await statusCounts(db.pool, 'q_term');
  assert.equal(counts['processing/1'], undefined, 'no row is left processing');
  assert.ok((counts['completed/1'] ?? 0) >= 20, `completed rows: ${JSON.stringify(counts)}`);
  assert.equal((counts['completed/1'] ?? 0) + (counts['pending/0'] ?? 0), 400, `every row is completed once or pending untried: ${JSON.stringify(counts)}`);
});

test('SIGTERM with work that outlasts the grace period hands the unfinished rows back with their attempt refunded', async () => {
  await createQueue(db.pool, 'q_grace', 100);
  const manifest = stressRunManifest(dir, 'grace', { queue: { table: 'q_grace', batchSize: 10 }, processor: { type: 'sleep', sleep: { minMs: 60_000, maxMs: 60_000 } } });
  let sent = false;
  const started = Date.now();
  const result = await runWorker(db.url, ['--manifest', manifest, '--grace-seconds', '0.5'], {
    onStderr: (text, child) => {
      if (!sent && /"inFlight":10/.test(text)) {
        sent = true;
        child.kill('SIGTERM');
      }
    },
  });
  assert.equal(result.code, 143, result.stderr);
  assert.ok(Date.now() - started < 20_000);
  assert.deepEqual(await statusCounts(db.pool, 'q_grace'), { 'pending/0': 100 });
});

test('SIGKILL in the middle of a batch: the lease brings the rows back and a second worker completes them', async () => {
  await createQueue(db.pool, 'q_kill', 200);
  const spec = { queue: { table: 'q_kill', batchSize: 20, leaseSeconds: 1, maxAttempts: 3 }, processor: { type: 'sleep', sleep: { minMs: 50, maxMs: 150 } } };
  const manifest = stressRunManifest(dir, 'kill', spec);
  const killed = await runWorker(db.url, ['--manifest', manifest], { onStderr: signalAfterProgress('SIGKILL', 20) });
  assert.equal(killed.signal, 'SIGKILL');
  const orphaned = (await statusCounts(db.pool, 'q_kill'))['processing/1'] ?? 0;
  assert.ok(orphaned > 0, 'the killed worker left claimed rows behind');
  const rescue = await runWorker(db.url, ['--manifest', manifest, '--drain']);
  assert.equal(rescue.code, 0, rescue.stderr);
  assert.match(rescue.stderr, /outlived their 1s lease and were handed back/);
  const counts = await statusCounts(db.pool, 'q_kill');
  assert.equal((counts['completed/1'] ?? 0) + (counts['completed/2'] ?? 0), 200, JSON.stringify(counts));
  assert.equal(counts['completed/2'], orphaned, 'exactly the orphaned rows took a second attempt');
  const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM q_kill WHERE last_error LIKE 'lease of 1s expired; it was claimed by %' OR status = 'completed' AND last_error IS NULL");
  assert.equal(rows[0]?.n, 200);
});

test('backends terminated in the middle of a run: the worker reconnects and loses nothing', async () => {
  await createQueue(db.pool, 'q_term_backend', 3000);
  const manifest = stressRunManifest(dir, 'terminated', { queue: { table: 'q_term_backend', batchSize: 10 }, processor: { type: 'sleep', sleep: { minMs: 4, maxMs: 10 } } });
  let terminations = 0;
  const killer = setInterval(() => {
    void db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'bulkhead/worker/local/terminated') t")
      .then(({ rows }) => (terminations += rows[0]?.n ?? 0), () => undefined);
  }, 300);
  const result = await runWorker(db.url, ['--manifest', manifest, '--drain']);
  clearInterval(killer);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(terminations >= 2, `backends terminated: ${terminations}`);
  assert.match(result.stderr, /"event":"reconnected"/);
  const counts = await statusCounts(db.pool, 'q_term_backend');
  assert.equal(Object.entries(counts).filter(([k]) => k.startsWith('completed/')).reduce((n, [, v]) => n + v, 0), 3000, JSON.stringify(counts));
  assert.equal(counts['processing/1'], undefined);
});
