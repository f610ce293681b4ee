/**
 * Which spec changes start a new run of a CsvImport, decided without a cluster: a change confined to
 * spec.merge.pacing keeps the run, its Job and its counts (status.observedGeneration still follows the generation);
 * any other change starts a new run with a new Job; a status written before status.runSpecHash existed falls back
 * to the generation; defaults the API server adds to a stored spec are not a new run either.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Job } from '@kubernetes/client-node';
import { decideImport } from '../../operator/csv-import/decide-import.js';
import type { CsvImport } from '../../operator/csv-import/import-job.js';
import { importJobName, importRun, runSpecHash } from '../../operator/csv-import/import-run.js';
import type { CsvImportSpec } from '../../runners/shared/generated/csvimport.js';
import { importSpec } from './import-spec.js';

const NOW = '2026-12-01T12:00:00.000Z';
const PACING = { maxLockWaiters: 2, minRowsPerSecond: 1000, minChunkRows: 1000, maxPauseSeconds: 10 };
const spec = (merge: Partial<CsvImportSpec['merge']> = {}): CsvImportSpec => {
  const s = importSpec();
  return { ...s, merge: { ...s.merge, ...merge } };
};
const importCr = (status: CsvImport['status'], generation: number, s: CsvImportSpec = spec()): CsvImport => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: { name: 'adv', namespace: 'ns', uid: 'u-1', generation }, status, spec: s,
});
const job = (name: string, condition?: 'Complete' | 'Failed'): V1Job => ({ metadata: { name }, status: { active: condition ? 0 : 1, ready: condition ? 0 : 1, conditions: condition ? [{ type: condition, status: 'True' }] : [] } });
const observe = (cr: CsvImport, jobs: V1Job[] = []) => decideImport({ cr, jobs, pods: [], admission: { admitted: true, message: '' }, specError: undefined, now: NOW });

/** A run of generation 1 with pacing, admitted, then running with counts and a pacing state. */
function runningImport(): { cr: CsvImport; jobName: string } {
  const admitted = observe(importCr(undefined, 1, spec({ pacing: PACING })));
  assert.equal(admitted.createJob, true);
  const jobName = admitted.status.jobName ?? '';
  const running = observe(importCr(admitted.status, 1, spec({ pacing: PACING })), [job(jobName)]);
  assert.equal(running.status.phase, 'Running');
  const status = { ...running.status, rows: { read: 500 }, progress: { bytesProcessed: 4096, tuplesProcessed: 300 }, pacing: { state: 'Throttled' as const, signal: 'lockWaiters' as const, value: '3 > 2', rowsPerSecond: 800, chunkRows: 5000, pauseMilliseconds: 200 } };
  return { cr: importCr(status, 1, spec({ pacing: PACING })), jobName };
}

test('the run hash leaves out spec.merge.pacing and the order of keys, and sees every other field', () => {
  const base = spec();
  const reordered = Object.fromEntries(Object.entries(base).reverse()) as unknown as CsvImportSpec;
  assert.equal(runSpecHash(reordered), runSpecHash(base));
  assert.equal(runSpecHash(spec({ pacing: PACING })), runSpecHash(base));
  assert.equal(runSpecHash(spec({ pacing: { ...PACING, maxLockWaiters: 9 } })), runSpecHash(base));
  assert.notEqual(runSpecHash(spec({ chunkRows: 20 })), runSpecHash(base));
  assert.notEqual(runSpecHash({ ...base, target: { table: 't', key: ['id', 'day'] } }), runSpecHash(base));
  assert.notEqual(runSpecHash({ ...base, connections: 2 }), runSpecHash(base));
  assert.match(runSpecHash(base), /^[0-9a-f]{16}$/);
});

test('a change to spec.merge.pacing alone keeps the running import\'s Job, counts and pacing state; the generation is still observed', () => {
  const { cr, jobName } = runningImport();
  const repaced = importCr(cr.status, 2, spec({ pacing: { ...PACING, maxLockWaiters: 7 } }));
  assert.equal(importRun(repaced).isNew, false);
  assert.equal(importJobName(repaced), jobName);
  const d = observe(repaced, [job(jobName)]);
  assert.deepEqual([d.createJob, d.deleteJobs, d.status.phase], [false, [], 'Running']);
  assert.equal(d.status.observedGeneration, 2, 'GitOps tools see the new generation observed');
  assert.equal(d.status.jobName, jobName);
  assert.deepEqual([d.status.rows, d.status.progress, d.status.pacing?.state], [{ read: 500 }, { bytesProcessed: 4096, tuplesProcessed: 300 }, 'Throttled']);
  assert.ok(d.status.conditions?.every((c) => c.observedGeneration === 2), 'every condition carries the new generation');
  // Dropping pacing altogether is a pacing change too.
  assert.equal(importRun(importCr(cr.status, 2, spec())).isNew, false);
});

test('any other spec change starts a new run: a new Job, the old one deleted, the counts and pacing state gone', () => {
  const { cr, jobName } = runningImport();
  const rechunked = importCr(cr.status, 2, spec({ chunkRows: 20, pacing: PACING }));
  assert.equal(importRun(rechunked).isNew, true);
  assert.notEqual(importJobName(rechunked), jobName);
  const d = observe(rechunked, [job(jobName)]);
  assert.deepEqual(d.deleteJobs, [jobName]);
  assert.deepEqual([d.status.rows, d.status.pacing, d.status.runSpecHash], [{}, undefined, runSpecHash(rechunked.spec)]);
  // Edited back to the first spec: a run of its own, never the first run's Job (which may still be being deleted).
  const back = importCr({ ...d.status, phase: 'Succeeded' }, 3, spec({ pacing: PACING }));
  assert.equal(importRun(back).isNew, true);
  assert.notEqual(importJobName(back), jobName);
});

test('a status from before runSpecHash keeps its run on the same generation and records the hash; a new generation is a new run', () => {
  const legacyName = importJobName(importCr(undefined, 4));
  const legacy = { phase: 'Running' as const, observedGeneration: 4, jobName: legacyName, grantedConnections: 1, rows: { read: 9 } };
  const same = importCr(legacy, 4, spec({ pacing: PACING }));
  assert.equal(importRun(same).isNew, false);
  const d = observe(same, [job(legacyName)]);
  assert.deepEqual([d.createJob, d.deleteJobs, d.status.jobName, d.status.runSpecHash], [false, [], legacyName, runSpecHash(same.spec)]);
  // Without a recorded hash there is nothing to compare: the generation decides, as before the upgrade.
  assert.equal(importRun(importCr(legacy, 5, spec({ pacing: PACING }))).isNew, true);
  // Once recorded, a pacing-only generation keeps the run.
  assert.equal(importRun(importCr(d.status, 5, spec({ pacing: { ...PACING, maxPauseSeconds: 3 } }))).isNew, false);
});

test('a default the API server adds to the stored spec (same generation, new hash) is not a new run; the hash follows', () => {
  const { cr, jobName } = runningImport();
  const defaulted = importCr(cr.status, 1, { ...spec({ pacing: PACING }), runner: { resources: {} } });
  assert.notEqual(runSpecHash(defaulted.spec), cr.status?.runSpecHash);
  assert.equal(importRun(defaulted).isNew, false);
  const d = observe(defaulted, [job(jobName)]);
  assert.deepEqual([d.createJob, d.status.jobName, d.status.runSpecHash], [false, jobName, runSpecHash(defaulted.spec)]);
});

test('status.pacing is kept only while the run is Running: it goes when the Job ends', () => {
  const { cr, jobName } = runningImport();
  const done = observe(cr, [job(jobName, 'Complete')]);
  assert.equal(done.status.phase, 'Succeeded');
  assert.equal('pacing' in done.status, false);
  const failed = observe(cr, [job(jobName, 'Failed')]);
  assert.equal('pacing' in failed.status, false);
});
