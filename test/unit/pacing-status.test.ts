/**
 * The operator's half of merge pacing, without a cluster: status.pacing from the runner's JSON (only what the status
 * schema accepts), the Events on a change of pacing state (not one per reconcile), the live control a CR asks for,
 * and the pacing series on /metrics, scraped as text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CsvImport } from '../../operator/csv-import/import-job.js';
import { PAUSED_ANNOTATION } from '../../operator/csv-import/import-run.js';
import { importControl } from '../../operator/csv-import/live-control.js';
import { pacingEvents, pacingFromRow, type ImportPacing } from '../../operator/csv-import/pacing-status.js';
import { OperatorMetrics } from '../../operator/operator-metrics.js';
import { importSpec } from './import-spec.js';

test('status.pacing takes the runner\'s fields it knows, as integers, and nothing the status schema would refuse', () => {
  const row = { state: 'Throttled', signal: 'lockWaiters', value: '3 > 2', rowsPerSecond: 812.6, chunkRows: 5000, pauseMilliseconds: 200, extra: 'x' };
  assert.deepEqual(pacingFromRow(row), { state: 'Throttled', signal: 'lockWaiters', value: '3 > 2', rowsPerSecond: 813, chunkRows: 5000, pauseMilliseconds: 200 });
  assert.deepEqual(pacingFromRow({ state: 'Running', signal: 'cpu', value: 41, rowsPerSecond: -1, chunkRows: 'many' }), { state: 'Running', value: '41' });
  assert.equal(pacingFromRow({ state: 'Sleeping' }), undefined);
  for (const nothing of [null, undefined, 'Running', 7, []]) assert.equal(pacingFromRow(nothing), undefined);
  assert.ok(Buffer.byteLength(pacingFromRow({ state: 'Running', value: 'v'.repeat(5000) })?.value ?? '') <= 200 + 32, 'a long value is clipped');
});

test('Paused, Resumed and Throttled Events come once per change of state, never per report', () => {
  const at = (state: ImportPacing['state'], more: Partial<ImportPacing> = {}): ImportPacing => ({ state, ...more });
  const reasons = (before: ImportPacing | undefined, after: ImportPacing | undefined) => pacingEvents(before, after).map((e) => e.reason);
  assert.deepEqual(reasons(undefined, at('Running')), []);
  assert.deepEqual(reasons(at('Running'), at('Paused')), ['Paused']);
  assert.deepEqual(reasons(at('Paused'), at('Paused')), []);
  assert.deepEqual(reasons(at('Paused'), at('Running')), ['Resumed']);
  assert.deepEqual(reasons(at('Paused'), at('Throttled')), ['Resumed', 'Throttled']);
  assert.deepEqual(reasons(at('Running'), at('Throttled')), ['Throttled']);
  assert.deepEqual(reasons(at('Throttled'), at('Throttled', { chunkRows: 10 })), [], 'still throttled: no second Event');
  assert.deepEqual(reasons(at('Throttled'), at('AtFloor')), [], 'held at the floor is still the same throttle');
  assert.deepEqual(reasons(undefined, at('AtFloor')), ['Throttled']);
  assert.deepEqual(reasons(at('Paused'), undefined), [], 'a run that ended says nothing here');
  const [throttled] = pacingEvents(at('Running'), at('Throttled', { signal: 'lockWaiters', value: '3 > 2', chunkRows: 2500, pauseMilliseconds: 400 }));
  assert.deepEqual(throttled, { type: 'Normal', reason: 'Throttled', message: 'lockWaiters read 3 > 2: next chunk 2500 rows after a 400 ms pause' });
});

test('the live control is paused only for the annotation value "true", and carries spec.merge.pacing or null', () => {
  const cr = (annotations: Record<string, string> | undefined, pacing?: CsvImport['spec']['merge']['pacing']): CsvImport => {
    const spec = importSpec();
    return { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: { name: 'a', namespace: 'n', uid: 'u', annotations }, spec: { ...spec, merge: { ...spec.merge, ...(pacing ? { pacing } : {}) } } };
  };
  const pacing = { maxLockWaiters: 0, minRowsPerSecond: 1000, minChunkRows: 1000, maxPauseSeconds: 10 };
  assert.deepEqual(importControl(cr({ [PAUSED_ANNOTATION]: 'true' }, pacing)), { paused: true, pacing });
  for (const value of ['false', 'True', 'yes', '']) assert.equal(importControl(cr({ [PAUSED_ANNOTATION]: value })).paused, false, value);
  assert.deepEqual(importControl(cr(undefined)), { paused: false, pacing: null });
});

test('the pacing series follow status.pacing: one state at a time, the rate beside it, none once the run ends or the CR goes', async () => {
  const metrics = new OperatorMetrics();
  const series = async () => (await metrics.registry.metrics()).split('\n').filter((l) => /^bulkhead_csvimport_(merge_rows_per_second|pacing_state)\{/.test(l));
  metrics.setImportPacing('ns', 'adv', { state: 'Running', rowsPerSecond: 5000 });
  metrics.setImportPacing('ns', 'other', { state: 'Paused', rowsPerSecond: 0 });
  metrics.setImportPacing('ns', 'adv', { state: 'Throttled', rowsPerSecond: 1200 });
  assert.deepEqual(await series(), [
    'bulkhead_csvimport_merge_rows_per_second{namespace="ns",csvimport="adv"} 1200',
    'bulkhead_csvimport_merge_rows_per_second{namespace="ns",csvimport="other"} 0',
    'bulkhead_csvimport_pacing_state{namespace="ns",csvimport="other",state="Paused"} 1',
    'bulkhead_csvimport_pacing_state{namespace="ns",csvimport="adv",state="Throttled"} 1',
  ]);
  metrics.setImportPacing('ns', 'adv', undefined);
  metrics.forgetImport('ns', 'other');
  assert.deepEqual(await series(), []);
});
