import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { decideImport, formatDuration } from '../../operator/csv-import/decide-import.js';
import { buildImportJob, type CsvImport } from '../../operator/csv-import/import-job.js';
import { importJobName } from '../../operator/csv-import/import-run.js';
import { decideStressRun } from '../../operator/stress-run/decide-stress-run.js';
import { buildWorkerDeployment, type StressRun } from '../../operator/stress-run/worker-deployment.js';
import { buildWorkerConfig } from '../../runners/worker/worker-command.js';
import { WorkQueue } from '../../operator/kube/work-queue.js';
import { readDatabaseSecret } from '../../operator/database/database-secret.js';
import { importSpec } from './import-spec.js';

const NOW = '2026-11-28T12:00:00.000Z';
const meta = (generation = 1) => ({ name: 'adv', namespace: 'ns', uid: 'u-1', generation, creationTimestamp: new Date('2026-11-28T11:00:00Z') });
const importCr = (status: CsvImport['status'] = undefined, generation = 1): CsvImport => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: meta(generation), status,
  spec: importSpec({ connections: 2 }),
});
const job = (name: string, condition?: 'Complete' | 'Failed'): V1Job => ({ metadata: { name }, status: { active: condition ? 0 : 1, conditions: condition ? [{ type: condition, status: 'True' }] : [] } });
const finishedPod = (exitCode: number, message: string): V1Pod => ({ status: { phase: exitCode ? 'Failed' : 'Succeeded', containerStatuses: [{ name: 'import', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, message, finishedAt: new Date(NOW) } } }] } });
const observe = (cr: CsvImport, more: Partial<Parameters<typeof decideImport>[0]> = {}) => decideImport({ cr, jobs: [], pods: [], admission: undefined, specError: undefined, now: NOW, ...more });

test('an import waits in Pending with the budget message, then is admitted and gets a Job', () => {
  const waiting = observe(importCr(), { admission: { admitted: false, message: 'waiting for 2 more connections (...)' } });
  assert.equal(waiting.status.phase, 'Pending');
  assert.equal(waiting.createJob, false);
  assert.deepEqual(waiting.status.conditions?.filter((c) => c.type === 'BudgetAdmitted').map((c) => [c.type, c.status, c.reason, c.message]), [['BudgetAdmitted', 'False', 'InsufficientConnections', 'waiting for 2 more connections (...)']]);
  const admitted = observe(importCr(waiting.status), { admission: { admitted: true, message: '' } });
  assert.equal(admitted.status.phase, 'Admitted');
  assert.equal(admitted.createJob, true);
  assert.equal(admitted.status.grantedConnections, 2);
  assert.equal(admitted.status.conditions?.[0]?.lastTransitionTime, NOW);
});

test('a finished Job becomes Succeeded with the summary counts, or Failed with the runner\'s error; the grant is released', () => {
  const cr = importCr({ phase: 'Running', observedGeneration: 1, grantedConnections: 2, startTime: '2026-11-28T11:59:00Z' });
  const summary = JSON.stringify({ event: 'summary', phase: 'Succeeded', rowsRead: 10, rowsRejected: 1, duplicateKeys: 0, rowsInserted: 7, rowsUpdated: 2, rowsUnchanged: 0, copySeconds: 1.5, mergeSeconds: 2, totalSeconds: 65 });
  const done = observe(cr, { jobs: [job(importJobName(cr), 'Complete')], pods: [finishedPod(0, summary)] });
  assert.equal(done.status.phase, 'Succeeded');
  assert.deepEqual(done.status.rows, { read: 10, rejected: 1, duplicateKeys: 0, inserted: 7, updated: 2, unchanged: 0 });
  assert.equal(done.status.duration, '1m5s');
  assert.equal(done.holdsGrant || done.wantsAdmission, false);
  const failed = observe(cr, { jobs: [job(importJobName(cr), 'Failed')], pods: [finishedPod(2, JSON.stringify({ event: 'summary', phase: 'Failed', error: 'a.csv:3:2: bad int' }))] });
  assert.equal(failed.status.phase, 'Failed');
  const c = failed.status.conditions?.find((x) => x.type === 'Succeeded');
  assert.deepEqual([c?.status, c?.reason, c?.message], ['False', 'InvalidInput', 'a.csv:3:2: bad int']);
  assert.deepEqual(failed.events.map((e) => e.type), ['Warning']);
  const error = 'a.csv:58: the target refused this row, and the merge stopped: … The 50 rows of the chunks before it are merged';
  const refused = observe(cr, { jobs: [job(importJobName(cr), 'Failed')], pods: [finishedPod(3, JSON.stringify({ event: 'summary', phase: 'Failed', rowsRead: 100, rowsRejected: 0, duplicateKeys: 0, rowsInserted: 40, rowsUpdated: 10, rowsUnchanged: 0, error }))] });
  const r = refused.status.conditions?.find((x) => x.type === 'Succeeded');
  assert.deepEqual([refused.status.phase, r?.reason, r?.message], ['Failed', 'RowRefused', error]);
  assert.deepEqual(refused.status.rows, { read: 100, rejected: 0, duplicateKeys: 0, inserted: 40, updated: 10, unchanged: 0 }, 'the status shows what the chunks before the refused row merged');
  assert.deepEqual(refused.events.map((e) => [e.type, e.reason]), [['Warning', 'RowRefused']]);
  const crashed = observe(cr, { jobs: [job(importJobName(cr), 'Failed')], pods: [finishedPod(1, JSON.stringify({ event: 'summary', phase: 'Failed', error: 'Connection terminated unexpectedly' }))] });
  assert.equal(crashed.status.conditions?.find((x) => x.type === 'Succeeded')?.reason, 'JobFailed');
});

test('a new generation deletes the old Job and waits for it to stop before running again', () => {
  const cr = importCr({ phase: 'Succeeded', observedGeneration: 1, grantedConnections: 0 }, 2);
  const old = job('adv-oldold');
  const d = observe(cr, { jobs: [old], admission: { admitted: true, message: '' } });
  assert.deepEqual(d.deleteJobs, ['adv-oldold']);
  assert.equal(d.createJob, false);
  assert.equal(d.status.conditions?.find((x) => x.type === 'BudgetAdmitted')?.reason, 'PreviousRunStopping');
  const later = observe(cr, { jobs: [job('adv-oldold', 'Failed')], admission: { admitted: true, message: '' } });
  assert.equal(later.createJob, true);
  assert.notEqual(importJobName(cr), importJobName(importCr(undefined, 1)), 'each generation has its own Job name');
});

test('a finished run is left alone; a spec the operator cannot run fails with the field', () => {
  const done = importCr({ phase: 'Succeeded', observedGeneration: 1 });
  const d = observe(done, { admission: { admitted: true, message: '' } });
  assert.equal(d.createJob, false);
  assert.deepEqual(d.events, []);
  const bad = observe(importCr(), { specError: 'spec.database: Required value' });
  assert.equal(bad.status.phase, 'Failed');
  assert.equal(bad.status.conditions?.[0]?.message, 'spec.database: Required value');
});

test('the Job has no API access, restricted security, the Secret by reference, and fails at once on exit codes 2 and 3', () => {
  const secret = readDatabaseSecret({ metadata: { name: 'pg' }, data: { uri: Buffer.from('postgres://u:sekret@db:6432/app').toString('base64') } }, 'spec.database');
  assert.deepEqual({ server: secret.server, form: secret.form }, { server: 'db:6432', form: 'uri' });
  const j = buildImportJob(importCr(), secret, { image: 'bulkhead:1', metricsPort: undefined });
  const pod = j.spec?.template.spec;
  assert.equal(pod?.automountServiceAccountToken, false);
  assert.equal(pod?.securityContext?.runAsNonRoot, true);
  assert.deepEqual(pod?.containers[0]?.securityContext?.capabilities, { drop: ['ALL'] });
  assert.equal(pod?.containers[0]?.command, undefined, 'the image entrypoint (tini, then bulkhead) runs the args');
  assert.deepEqual(pod?.containers[0]?.args, ['import']);
  assert.ok(!JSON.stringify(j).includes('sekret'));
  assert.deepEqual(j.spec?.podFailurePolicy?.rules, [{ action: 'FailJob', onExitCodes: { containerName: 'import', operator: 'In', values: [2, 3] } }]);
  assert.equal(j.metadata?.ownerReferences?.[0]?.controller, true);
  assert.throws(() => readDatabaseSecret({ metadata: { name: 'pg' }, data: {} }, 'spec.database.secretRef.name'), /spec\.database\.secretRef\.name: Secret pg has neither the key uri nor the key host/);
  assert.equal(formatDuration(3723), '1h2m3s');
  const fromConfigMap = importCr();
  fromConfigMap.spec.source = { configMap: { name: 'csvs', key: 'adv.csv' }, maxBytes: 10737418240, deadlineSeconds: 1800 };
  const mounted = buildImportJob(fromConfigMap, secret, { image: 'bulkhead:1', metricsPort: undefined }).spec?.template.spec;
  assert.deepEqual(mounted?.volumes?.find((v) => v.name === 'source')?.configMap, { name: 'csvs', items: [{ key: 'adv.csv', path: 'adv.csv' }] });
  assert.deepEqual(mounted?.containers[0]?.volumeMounts?.find((m) => m.name === 'source'), { name: 'source', mountPath: '/var/run/bulkhead/source', readOnly: true });
  const spec = JSON.parse(mounted?.containers[0]?.env?.find((e) => e.name === 'BULKHEAD_SPEC')?.value ?? '{}') as { source: unknown };
  assert.deepEqual(spec.source, { configMap: { name: 'csvs', key: 'adv.csv' }, maxBytes: 10737418240, deadlineSeconds: 1800 }, 'the runner resolves the source under the mount itself, within the limits');
});

const stressCr = (status: StressRun['status'] = undefined, durationSeconds = 0): StressRun => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: meta(), status,
  spec: { queue: { table: 'q', idColumn: 'id', statusColumn: 'status', urlColumn: 'url', statuses: { pending: 'p', processing: 'r', completed: 'c', failed: 'f' }, batchSize: 1, leaseSeconds: 1, maxAttempts: 1 },
    processor: { type: 'noop' }, workers: 5, connectionsPerWorker: 1, priority: 0, durationSeconds },
});

test('a StressRun runs the granted workers, says BudgetLimited when short, and scales to 0 when its duration ends', () => {
  const limited = decideStressRun({ cr: stressCr(), deployment: undefined, grant: { workers: 3, message: 'waiting for 2 more connections' }, specError: undefined, queue: undefined, podTrouble: undefined, now: NOW });
  assert.equal(limited.replicas, 3);
  assert.equal(limited.status.grantedWorkers, 3);
  assert.equal(limited.status.selector, 'bulkhead.dev/stressrun=adv');
  assert.equal(limited.status.conditions?.find((c) => c.type === 'BudgetLimited')?.status, 'True');
  const ending = decideStressRun({ cr: stressCr({ startTime: '2026-11-28T11:59:00Z' }, 30), deployment: undefined, grant: { workers: 5, message: undefined }, specError: undefined, queue: undefined, podTrouble: undefined, now: NOW });
  assert.equal(ending.replicas, 0);
  assert.equal(ending.claimWorkers, 0);
  assert.equal(ending.status.conditions?.find((c) => c.type === 'Succeeded')?.status, 'True');
  const running = decideStressRun({ cr: stressCr({ startTime: '2026-11-28T11:59:50Z' }, 30), deployment: undefined, grant: { workers: 5, message: undefined }, specError: undefined, queue: undefined, podTrouble: undefined, now: NOW });
  assert.equal(running.endsInMs, 20_000);
});

test('the workers\' pod template does not change with workers, priority or durationSeconds, and the worker still reads its spec from it', () => {
  const secret = readDatabaseSecret({ metadata: { name: 'pg' }, data: { uri: Buffer.from('postgres://u:p@db/app').toString('base64') } }, 'spec.database');
  const pod = { image: 'bulkhead:1', metricsPort: undefined };
  const template = (cr: StressRun) => buildWorkerDeployment(cr, secret, pod, 3).spec?.template;
  const base = stressCr();
  const rescaled = stressCr(undefined, 600);
  rescaled.spec = { ...rescaled.spec, workers: 40, priority: 7 };
  assert.deepEqual(template(rescaled), template(base), 'a scale is a change of spec.replicas only');
  const rebatched = stressCr();
  rebatched.spec = { ...rebatched.spec, queue: { ...rebatched.spec.queue, batchSize: 50 } };
  assert.notDeepEqual(template(rebatched), template(base), 'what a worker does is in the template');
  const env = Object.fromEntries((template(rescaled)?.spec?.containers[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  const config = buildWorkerConfig({}, env);
  assert.deepEqual({ queue: config.spec.queue, processor: config.spec.processor, connectionsPerWorker: config.spec.connectionsPerWorker }, { queue: base.spec.queue, processor: base.spec.processor, connectionsPerWorker: 1 });
});

test('the work queue never runs a key twice at once, runs it again when it changed meanwhile, and backs off retries', async () => {
  const queue = new WorkQueue({ baseMs: 10, maxMs: 40 });
  const seen: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const running = queue.run(3, async (key) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    seen.push(key);
    if (seen.length === 1) queue.add('a'); // changed while being handled
    await new Promise((r) => setTimeout(r, 20));
    inFlight--;
  });
  queue.add('a');
  queue.add('a');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(seen, ['a', 'a']);
  assert.equal(maxInFlight, 1);
  assert.deepEqual([queue.retry('b'), queue.retry('b'), queue.retry('b'), queue.retry('b')], [10, 20, 40, 40]);
  queue.stop();
  await running;
});
