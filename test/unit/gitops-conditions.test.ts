/**
 * The conditions GitOps tools read, decided without a cluster: Ready and Stalled for every phase of a CsvImport and
 * state of a StressRun, observedGeneration on every condition, the rerun annotation, and the work queue's stall clock
 * behind /healthz. test/operator/operator-gitops.test.ts checks the same against a real control plane.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Job } from '@kubernetes/client-node';
import { decideImport, importFinished } from '../../operator/csv-import/decide-import.js';
import type { CsvImport } from '../../operator/csv-import/import-job.js';
import { importJobName, importRun, RERUN_ANNOTATION } from '../../operator/csv-import/import-run.js';
import { WorkQueue } from '../../operator/kube/work-queue.js';
import { decideStressRun } from '../../operator/stress-run/decide-stress-run.js';
import type { StressRun } from '../../operator/stress-run/worker-deployment.js';
import { importSpec } from './import-spec.js';

const NOW = '2026-11-30T12:00:00.000Z';
const importCr = (status: CsvImport['status'] = undefined, generation = 3, annotations?: Record<string, string>): CsvImport => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: { name: 'adv', namespace: 'ns', uid: 'u-1', generation, annotations }, status,
  spec: importSpec({ connections: 2 }),
});
const job = (name: string, condition?: 'Complete' | 'Failed', ready = 0): V1Job => ({ metadata: { name }, status: { active: condition ? 0 : 1, ready, conditions: condition ? [{ type: condition, status: 'True' }] : [] } });
const admitted = { admitted: true, message: '' };
const run = (cr: CsvImport) => { const { isNew, rerun } = importRun(cr); return { isNew, rerun }; };
const observe = (cr: CsvImport, more: Partial<Parameters<typeof decideImport>[0]> = {}) => decideImport({ cr, jobs: [], pods: [], admission: undefined, specError: undefined, now: NOW, ...more });
const readiness = (conditions: { type: string; status: string; reason: string; observedGeneration?: number }[] | undefined) =>
  ['Ready', 'Stalled', 'Reconciling'].map((type) => conditions?.find((c) => c.type === type)).map((c) => `${c?.type}=${c?.status}/${c?.reason}`).join(' ');

test('a CsvImport is Ready only once it succeeded, Stalled only once it failed, and says why otherwise; every condition carries the generation', () => {
  const pending = observe(importCr(), { admission: { admitted: false, message: 'waiting for 2 more connections' } });
  const starting = observe(importCr(pending.status), { admission: admitted });
  const name = importJobName(importCr(starting.status));
  const running = observe(importCr(starting.status), { jobs: [job(name, undefined, 1)], admission: admitted });
  const succeeded = observe(importCr(running.status), { jobs: [job(name, 'Complete')] });
  const failed = observe(importCr(running.status), { jobs: [job(name, 'Failed')] });
  const invalid = observe(importCr(), { specError: 'spec.source.path: Forbidden' });
  assert.deepEqual([pending, starting, running, succeeded, failed, invalid].map((d) => `${d.status.phase}: ${readiness(d.status.conditions)}`), [
    'Pending: Ready=False/InsufficientConnections Stalled=False/InsufficientConnections Reconciling=True/InsufficientConnections',
    'Admitted: Ready=False/Admitted Stalled=False/Admitted Reconciling=True/Admitted',
    'Running: Ready=False/Running Stalled=False/Running Reconciling=True/Running',
    'Succeeded: Ready=True/Succeeded Stalled=False/Succeeded Reconciling=False/Succeeded',
    'Failed: Ready=False/JobFailed Stalled=True/JobFailed Reconciling=False/JobFailed',
    'Failed: Ready=False/InvalidSpec Stalled=True/InvalidSpec Reconciling=False/InvalidSpec',
  ]);
  for (const d of [pending, starting, running, succeeded, failed, invalid]) {
    assert.equal(d.status.observedGeneration, 3);
    for (const c of d.status.conditions ?? []) assert.equal(c.observedGeneration, 3, `${d.status.phase}: ${c.type}`);
  }
  // A finished import written by an operator without Ready gets it on its next look, and nothing else changes.
  const legacy = importCr({ phase: 'Succeeded', observedGeneration: 3, conditions: [{ type: 'Succeeded', status: 'True', reason: 'Completed', message: 'read 5 rows', lastTransitionTime: NOW }] });
  const upgraded = observe(legacy);
  assert.equal(readiness(upgraded.status.conditions), 'Ready=True/Succeeded Stalled=False/Succeeded Reconciling=False/Succeeded');
  assert.deepEqual([upgraded.createJob, upgraded.events], [false, []]);
});

test('a new value of bulkhead.dev/rerun runs a finished import again with a new Job; the same value, or one set while it runs, does not', () => {
  const done = observe(importCr(undefined, 1), { admission: admitted });
  const finished = importCr({ ...done.status, phase: 'Succeeded', rows: { read: 5, inserted: 5 }, completionTime: NOW, duration: '3s' }, 1);
  finished.status?.conditions?.push({ type: 'Succeeded', status: 'True', reason: 'Completed', message: 'read 5 rows', lastTransitionTime: NOW, observedGeneration: 1 });
  const oldJob = importJobName(finished);
  assert.equal(importFinished(finished), true);

  const asked = { ...finished, metadata: { ...finished.metadata, annotations: { [RERUN_ANNOTATION]: '2026-11-30' } } };
  assert.deepEqual(run(asked), { isNew: true, rerun: '2026-11-30' });
  assert.equal(importFinished(asked), false);
  const rerun = observe(asked, { jobs: [job(oldJob, 'Complete')], admission: admitted });
  assert.notEqual(importJobName(asked), oldJob, 'a rerun has its own Job');
  assert.deepEqual(rerun.deleteJobs, [oldJob]);
  assert.equal(rerun.createJob, true);
  assert.equal(rerun.status.phase, 'Admitted');
  assert.equal(rerun.status.rerun, '2026-11-30');
  assert.deepEqual([rerun.status.rows, rerun.status.completionTime, rerun.status.duration], [{}, undefined, undefined], 'nothing of the last run is left');
  assert.equal(rerun.status.conditions?.find((c) => c.type === 'Succeeded'), undefined);
  assert.equal(readiness(rerun.status.conditions), 'Ready=False/Admitted Stalled=False/Admitted Reconciling=True/Admitted');
  // Recorded: the next look goes on with the same run, and its Job keeps its name.
  const recorded = { ...asked, status: rerun.status };
  assert.deepEqual(run(recorded), { isNew: false, rerun: '2026-11-30' });
  assert.equal(importJobName(recorded), importJobName(asked));
  // A new value while that run is going on waits for it to finish.
  const during = { ...recorded, metadata: { ...recorded.metadata, annotations: { [RERUN_ANNOTATION]: 'again' } } };
  assert.deepEqual(run(during), { isNew: false, rerun: '2026-11-30' });
  // A long value is recorded as a hash, within the status field's 80 characters.
  const long = { ...finished, metadata: { ...finished.metadata, annotations: { [RERUN_ANNOTATION]: 'x'.repeat(5000) } } };
  assert.match(importRun(long).rerun ?? '', /^sha256:[0-9a-f]{64}$/);
  // A CR created with the annotation runs once, not twice.
  const created = importCr(undefined, 1, { [RERUN_ANNOTATION]: 'first' });
  const first = observe(created, { admission: admitted });
  assert.equal(first.status.rerun, 'first');
  assert.equal(importRun({ ...created, status: { ...first.status, phase: 'Succeeded' } }).isNew, false);
});

const stressCr = (status: StressRun['status'] = undefined, spec: Partial<StressRun['spec']> = {}): StressRun => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: { name: 'q', namespace: 'ns', uid: 'u-2', generation: 2 }, status,
  spec: { queue: { table: 'q', idColumn: 'id', statusColumn: 'status', urlColumn: 'url', statuses: { pending: 'p', processing: 'r', completed: 'c', failed: 'f' }, batchSize: 1, leaseSeconds: 1, maxAttempts: 1 },
    processor: { type: 'noop' }, workers: 4, connectionsPerWorker: 1, priority: 0, durationSeconds: 0, ...spec },
});
const stress = (cr: StressRun, granted: number, ready: number, more: Partial<Parameters<typeof decideStressRun>[0]> = {}) =>
  decideStressRun({ cr, deployment: { spec: { replicas: granted, selector: {}, template: {} }, status: { readyReplicas: ready } }, grant: { workers: granted, message: 'no room' }, specError: undefined, queue: undefined, podTrouble: undefined, now: NOW, ...more });

test('a StressRun is Ready while every worker it asks for runs, not while the budget grants fewer, and once its duration ran out', () => {
  const cases = [
    stress(stressCr(), 2, 2),
    stress(stressCr(), 4, 1),
    stress(stressCr(), 4, 3, { podTrouble: { pod: 'q-abc', reason: 'ImagePullBackOff', message: 'Back-off pulling image' } }),
    stress(stressCr(), 4, 4),
    stress(stressCr({ startTime: '2026-11-30T11:00:00Z' }, { durationSeconds: 60 }), 4, 4),
    stress(stressCr(), 0, 0, { specError: 'spec.queue.table: Invalid value' }),
  ];
  assert.deepEqual(cases.map((d) => readiness(d.status.conditions)), [
    'Ready=False/InsufficientConnections Stalled=False/InsufficientConnections Reconciling=True/InsufficientConnections',
    'Ready=False/WorkersStarting Stalled=False/WorkersStarting Reconciling=True/WorkersStarting',
    'Ready=False/ImagePullBackOff Stalled=False/ImagePullBackOff Reconciling=True/ImagePullBackOff',
    'Ready=True/WorkersReady Stalled=False/WorkersReady Reconciling=False/WorkersReady',
    'Ready=True/Finished Stalled=False/Finished Reconciling=False/Finished',
    'Ready=False/InvalidSpec Stalled=True/InvalidSpec Reconciling=False/InvalidSpec',
  ]);
  for (const d of cases) for (const c of d.status.conditions ?? []) assert.equal(c.observedGeneration, 2, c.type);
  assert.match(cases[0]?.status.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /2 of 4 workers fit the connection budget/);
});

test('the work queue reports how long it has had work without finishing any: never while idle or before it runs', async () => {
  const queue = new WorkQueue();
  queue.add('early');
  assert.equal(queue.stalledForMs(), 0, 'keys queued before the caches synced are not a stall');
  let release: () => void = () => undefined;
  const hung = new Promise<void>((resolve) => (release = resolve));
  const running = queue.run(1, async (key) => {
    if (key === 'hang') await hung;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(queue.stalledForMs(), 0, 'idle again once the early key was handled');
  queue.add('hang');
  await new Promise((r) => setTimeout(r, 120));
  assert.ok(queue.stalledForMs() >= 100, `stalled for ${queue.stalledForMs()} ms`);
  release();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(queue.stalledForMs(), 0);
  queue.stop();
  await running;
});
