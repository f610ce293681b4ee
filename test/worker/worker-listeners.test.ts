import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import { scratchDir } from '../import/import-fixtures.js';
import { createQueue, runWorker, statusCounts, stressRunManifest } from './worker-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

const WARNING = /MaxListenersExceededWarning|EventTarget memory leak/;

test('sixty batches of 20 sleeping rows run without a MaxListenersExceededWarning', async () => {
  await createQueue(db.pool, 'q_batches', 1200);
  const manifest = stressRunManifest(dir, 'batches', { queue: { table: 'q_batches', batchSize: 20 }, processor: { type: 'sleep', sleep: { minMs: 1, maxMs: 5 } } });
  const result = await runWorker(db.url, ['--manifest', manifest, '--drain']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await statusCounts(db.pool, 'q_batches'), { 'completed/1': 1200 }, 'the batches ran');
  assert.doesNotMatch(result.stderr, WARNING);
});

test('twelve idle lanes waiting on one stop signal raise no MaxListenersExceededWarning, and the worker still stops on SIGTERM', async () => {
  await createQueue(db.pool, 'q_idle', 0);
  const manifest = stressRunManifest(dir, 'idle', { queue: { table: 'q_idle' }, processor: { type: 'noop' }, connectionsPerWorker: 12 });
  let sent = false;
  const result = await runWorker(db.url, ['--manifest', manifest], {
    onStderr: (text, child) => {
      // The second progress line: every lane has found the queue empty and gone to sleep on the stop signal by then.
      if (!sent && text.split('"event":"progress"').length > 2) {
        sent = true;
        child.kill('SIGTERM');
      }
    },
  });
  assert.equal(result.code, 143, result.stderr);
  assert.doesNotMatch(result.stderr, WARNING);
});
