/**
 * Pure pieces of issue 10 (items 5 and 7): children told apart by their controller's uid under names bounded to 63
 * characters, and database Secrets used only when opted in by label, refused with a message naming the label.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSecretOptIn, DATABASE_SECRET_LABEL, SecretNotLabelledError } from '../../operator/database/database-secret.js';
import { decideImport } from '../../operator/csv-import/decide-import.js';
import { buildImportJob, CSV_IMPORT_LABEL, type CsvImport } from '../../operator/csv-import/import-job.js';
import { importJobName } from '../../operator/csv-import/import-run.js';
import { decideStressRun } from '../../operator/stress-run/decide-stress-run.js';
import { buildWorkerDeployment, STRESS_RUN_LABEL, workerDeploymentName, workerSelector, type StressRun } from '../../operator/stress-run/worker-deployment.js';
import { boundedName, controlledBy, controllerName } from '../../operator/kube/ownership.js';
import { importSpec } from './import-spec.js';

const NOW = '2026-11-30T12:00:00.000Z';
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const secret = { name: 'pg', form: 'uri' as const, url: 'postgres://u:p@db/app', server: 'db:5432' };
const pod = { image: 'bulkhead:1', metricsPort: undefined };
// Two names of 70 characters that share their first 63, the 63rd a dot (a label value cannot end in one).
const prefix = `${'a'.repeat(62)}.`;
const [longA, longB] = [`${prefix}import1`, `${prefix}import2`];

const importCr = (name: string, uid: string): CsvImport => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: { name, namespace: 'ns', uid, generation: 1 },
  spec: importSpec(),
});
const stressCr = (name: string, uid: string): StressRun => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: { name, namespace: 'ns', uid, generation: 1 },
  spec: { queue: { table: 'q', idColumn: 'id', statusColumn: 'status', urlColumn: 'url', statuses: { pending: 'p', processing: 'r', completed: 'c', failed: 'f' }, batchSize: 1, leaseSeconds: 1, maxAttempts: 1 },
    processor: { type: 'noop' }, workers: 2, connectionsPerWorker: 1, priority: 0, durationSeconds: 0 },
});

test('boundedName keeps a name of up to 63 characters, and bounds a longer one with a hash of the whole name', () => {
  assert.equal(boundedName('advertisers'), 'advertisers');
  assert.equal(boundedName('b'.repeat(63)), 'b'.repeat(63));
  const [a, b] = [boundedName(longA), boundedName(longB)];
  assert.notEqual(a, b, 'names that share their first 63 characters get two values');
  assert.equal(boundedName(longA), a, 'the same name always the same value');
  for (const v of [a, b, boundedName(`${'c'.repeat(55)}--${'d'.repeat(196)}`)]) {
    assert.ok(v.length <= 63 && LABEL_VALUE.test(v), `${v} is a valid label value`);
  }
  assert.match(a, /^a{56}-[0-9a-f]{6}$/);
});

test('two CsvImports whose names share 63 characters get Jobs with their own names and labels, each controlled by its own uid', () => {
  const [x, y] = [importCr(longA, 'uid-a'), importCr(longB, 'uid-b')];
  const [jobX, jobY] = [buildImportJob(x, secret, pod), buildImportJob(y, secret, pod)];
  assert.notEqual(jobX.metadata?.name, jobY.metadata?.name);
  assert.notEqual(jobX.metadata?.labels?.[CSV_IMPORT_LABEL], jobY.metadata?.labels?.[CSV_IMPORT_LABEL]);
  assert.ok(LABEL_VALUE.test(jobX.metadata?.labels?.[CSV_IMPORT_LABEL] ?? '!'));
  assert.ok((jobX.metadata?.name ?? '').length <= 63);
  assert.ok(controlledBy(jobX, 'uid-a') && !controlledBy(jobX, 'uid-b'));
  assert.equal(controllerName(jobX, 'CsvImport'), longA, 'a Job change finds its CR by the full name');
  assert.equal(controllerName(jobX, 'StressRun'), undefined);
  assert.equal(importJobName(x), jobX.metadata?.name);
});

test('two StressRuns whose names share 63 characters get their own Deployments and selectors', () => {
  const [x, y] = [stressCr(longA, 'uid-a'), stressCr(longB, 'uid-b')];
  assert.notEqual(workerDeploymentName(x), workerDeploymentName(y));
  assert.notEqual(workerSelector(x), workerSelector(y));
  const d = buildWorkerDeployment(x, secret, pod, 2);
  assert.equal(d.metadata?.name, workerDeploymentName(x));
  assert.ok((d.metadata?.name ?? '').length <= 63);
  assert.equal(`${STRESS_RUN_LABEL}=${d.spec?.selector.matchLabels?.[STRESS_RUN_LABEL]}`, workerSelector(x));
  assert.equal(workerDeploymentName(stressCr('creatives', 'u')), 'creatives', 'a short name is kept as it is');
});

test('a Secret without the label bulkhead.dev/database: "true" is refused with a message that says how to add it', () => {
  const field = 'spec.database.secretRef.name';
  checkSecretOptIn({ metadata: { name: 'pg', namespace: 'etl', labels: { [DATABASE_SECRET_LABEL]: 'true' } } }, field);
  for (const labels of [undefined, { [DATABASE_SECRET_LABEL]: 'yes' }, { other: 'true' }] as (Record<string, string> | undefined)[]) {
    assert.throws(() => checkSecretOptIn({ metadata: { name: 'pg', namespace: 'etl', labels } }, field), (err: unknown) => {
      assert.ok(err instanceof SecretNotLabelledError);
      assert.equal(err.message, 'spec.database.secretRef.name: Secret "pg" lacks the label bulkhead.dev/database: "true" that lets bulkhead use it; add it with: kubectl label secret pg -n etl bulkhead.dev/database=true');
      return true;
    });
  }
});

test('a refused Secret leaves a CsvImport Pending with no Job (not Failed), and a StressRun not Ready with no workers', () => {
  const message = 'Secret "pg" lacks the label bulkhead.dev/database: "true"';
  const cr = importCr('adv', 'u-1');
  const refused = decideImport({ cr, jobs: [], pods: [], admission: undefined, specError: undefined, secretRefused: message, now: NOW });
  assert.equal(refused.status.phase, 'Pending');
  assert.equal(refused.createJob, false);
  assert.equal(refused.holdsGrant || refused.wantsAdmission, false);
  assert.deepEqual(refused.status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
    [['BudgetAdmitted', 'False', 'SecretNotLabelled', message], ['Ready', 'False', 'SecretNotLabelled', message], ['Stalled', 'False', 'SecretNotLabelled', message], ['Reconciling', 'True', 'SecretNotLabelled', message]],
    'waiting for a label: not ready, not failed either');
  assert.deepEqual(refused.events.map((e) => `${e.type}/${e.reason}`), ['Warning/SecretNotLabelled'], 'one Warning, no WaitingForBudget');
  const again = decideImport({ cr: { ...cr, status: refused.status }, jobs: [], pods: [], admission: undefined, specError: undefined, secretRefused: message, now: NOW });
  assert.deepEqual(again.events, [], 'said once');
  const labelled = decideImport({ cr: { ...cr, status: refused.status }, jobs: [], pods: [], admission: { admitted: true, message: '' }, specError: undefined, now: NOW });
  assert.equal(labelled.createJob, true, 'once labelled, the import goes on');

  const run = stressCr('creatives', 'u-2');
  const stopped = decideStressRun({ cr: run, deployment: { metadata: { name: 'creatives' } }, grant: { workers: 0, message: undefined }, specError: undefined, secretRefused: message, queue: undefined, podTrouble: undefined, now: NOW });
  assert.equal(stopped.replicas, 0);
  assert.equal(stopped.claimWorkers, 0);
  const ready = stopped.status.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.reason, ready?.message], ['False', 'SecretNotLabelled', message]);
  assert.deepEqual(stopped.events.map((e) => `${e.type}/${e.reason}`), ['Warning/SecretNotLabelled']);
});
