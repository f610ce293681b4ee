/**
 * Issue 12, item 3: the runner pods' resources, scheduling and metadata, from the operator's defaults (the chart's
 * runner values, --runner-pod-defaults-file) and a CR's spec.runner, with the security context always the
 * operator's; the defaults file checked against spec.runner's schema in crds/ when the operator starts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { buildImportJob, type CsvImport } from '../../operator/csv-import/import-job.js';
import { operatorConfig } from '../../operator/operator-config.js';
import { BUILT_IN_RUNNER_RESOURCES, effectiveRunnerOptions, readRunnerPodDefaults, runnerSpecError, type RunnerPodOptions } from '../../operator/pods/runner-pod-options.js';
import type { RunnerPodSettings } from '../../operator/pods/runner-pod.js';
import { buildWorkerDeployment, type StressRun } from '../../operator/stress-run/worker-deployment.js';
import { InvalidInputError } from '../../runners/shared/errors.js';
import { validateSpec } from '../../runners/shared/spec-schema.js';
import { importSpec } from './import-spec.js';

const work = mkdtempSync(join(tmpdir(), 'bulkhead-runner-pod-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const secret = { name: 'pg', form: 'uri' as const, url: 'postgres://u:p@db/app', server: 'db:5432' };

const importCr = (runner?: RunnerPodOptions): CsvImport => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: { name: 'adv', namespace: 'ns', uid: 'u-1', generation: 1 },
  spec: importSpec(runner ? { runner } : {}),
});
const stressCr = (runner?: RunnerPodOptions): StressRun => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: { name: 'fleet', namespace: 'ns', uid: 'u-2', generation: 1 },
  spec: { queue: { table: 'q', idColumn: 'id', statusColumn: 'status', urlColumn: 'url', statuses: { pending: 'p', processing: 'r', completed: 'c', failed: 'f' }, batchSize: 1, leaseSeconds: 1, maxAttempts: 1 },
    processor: { type: 'noop' }, workers: 2, connectionsPerWorker: 1, priority: 0, durationSeconds: 0, ...(runner ? { runner } : {}) },
});

/** The chart's runner values as an operator would get them. */
const defaults: RunnerPodOptions = {
  resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  nodeSelector: { pool: 'batch' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
  priorityClassName: 'batch-low',
  imagePullSecrets: [{ name: 'registry' }],
  labels: { team: 'data', cost: 'shared' },
  annotations: { 'sidecar.istio.io/inject': 'false' },
};
const settings: RunnerPodSettings = { image: 'bulkhead:1', metricsPort: 9090, defaults };

function defaultsFile(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

test('spec.runner has one schema: the same in both CRDs', () => {
  const runnerOf = (file: string) => (parse(readFileSync(new URL(`../../../crds/${file}`, import.meta.url), 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { runner: unknown } } } } } }[] };
  }).spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.runner;
  const runner = runnerOf('bulkhead.dev_csvimports.yaml');
  assert.ok(runner, 'CsvImport has spec.runner');
  assert.deepEqual(runnerOf('bulkhead.dev_stressruns.yaml'), runner);
});

test('without defaults or spec.runner, a runner pod gets the built-in resources and nothing else', () => {
  const pod = buildImportJob(importCr(), secret, { image: 'bulkhead:1', metricsPort: undefined }).spec?.template;
  assert.deepEqual(pod?.spec?.containers[0]?.resources, BUILT_IN_RUNNER_RESOURCES);
  for (const field of ['nodeSelector', 'tolerations', 'affinity', 'priorityClassName', 'imagePullSecrets'] as const) assert.equal(pod?.spec?.[field], undefined, field);
  assert.equal(pod?.metadata?.annotations, undefined);
});

test('the defaults reach the import\'s Job pod and the worker pods, with the metrics port named for a PodMonitor', () => {
  const templates = { import: buildImportJob(importCr(), secret, settings).spec?.template, worker: buildWorkerDeployment(stressCr(), secret, settings, 2).spec?.template };
  for (const [command, template] of Object.entries(templates)) {
    const spec = template?.spec;
    assert.deepEqual(spec?.containers[0]?.resources, defaults.resources, command);
    assert.deepEqual(spec?.nodeSelector, defaults.nodeSelector);
    assert.deepEqual(spec?.tolerations, defaults.tolerations);
    assert.deepEqual(spec?.affinity, defaults.affinity);
    assert.equal(spec?.priorityClassName, 'batch-low');
    assert.deepEqual(spec?.imagePullSecrets, [{ name: 'registry' }]);
    assert.equal(template?.metadata?.labels?.team, 'data');
    assert.equal(template?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'bulkhead', 'the label the PodMonitor selects by');
    assert.deepEqual(template?.metadata?.annotations, { 'sidecar.istio.io/inject': 'false' });
    assert.deepEqual(spec?.containers[0]?.ports, [{ name: 'metrics', containerPort: 9090 }]);
    assert.deepEqual(spec?.containers[0]?.args, [command, '--metrics-port', '9090']);
  }
});

test('spec.runner replaces the defaults field by field, resources as a whole; labels and annotations merge; the operator\'s labels and security win', () => {
  const override: RunnerPodOptions = {
    resources: { requests: { cpu: 2, memory: '4Gi' } },
    tolerations: [],
    priorityClassName: '',
    labels: { cost: 'etl', 'app.kubernetes.io/managed-by': 'me' },
    annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' },
  };
  const job = buildImportJob(importCr(override), secret, settings);
  const deployment = buildWorkerDeployment(stressCr(override), secret, settings, 2);
  for (const template of [job.spec?.template, deployment.spec?.template]) {
    const spec = template?.spec;
    assert.deepEqual(spec?.containers[0]?.resources, { requests: { cpu: 2, memory: '4Gi' } }, 'no default limit mixed in');
    assert.deepEqual(spec?.nodeSelector, { pool: 'batch' }, 'unset in the CR: the default');
    assert.equal(spec?.tolerations, undefined, 'set empty in the CR: none');
    assert.equal(spec?.priorityClassName, undefined, 'an empty priorityClassName clears the default');
    assert.deepEqual(template?.metadata?.annotations, { 'sidecar.istio.io/inject': 'false', 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' });
    assert.equal(template?.metadata?.labels?.team, 'data');
    assert.equal(template?.metadata?.labels?.cost, 'etl');
    assert.equal(template?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'bulkhead', 'the operator\'s own label wins');
    assert.equal(spec?.automountServiceAccountToken, false);
    assert.deepEqual(spec?.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(spec?.containers[0]?.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  }
  assert.equal(deployment.spec?.selector.matchLabels?.cost, undefined, 'the Deployment\'s selector never takes the CR\'s labels (it is immutable)');
  const specEnv = job.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'BULKHEAD_SPEC')?.value ?? '';
  const handed = JSON.parse(specEnv) as { runner?: unknown; target: { table: string } };
  assert.equal(handed.runner, undefined, 'spec.runner is the operator\'s, not handed to the runner');
  assert.equal(handed.target.table, 't');
  assert.deepEqual(effectiveRunnerOptions({}, undefined), { resources: BUILT_IN_RUNNER_RESOURCES });
});

test('the CRD schema takes spec.runner with int-or-string quantities, and refuses what would change the pod\'s security or is malformed', () => {
  const base = { source: { path: 'a.csv' }, target: { table: 't', key: ['id'] } };
  validateSpec('CsvImport', { ...base, runner: { ...defaults, resources: { limits: { cpu: 1, memory: '1.5Gi' } } } }, 'test');
  const refused = (runner: unknown, message: RegExp) => assert.throws(() => validateSpec('CsvImport', { ...base, runner }, 'm.yaml'), message);
  refused({ resources: { limits: { memory: 'lots' } } }, /spec\.runner\.resources\.limits\.memory: Invalid value: must match pattern/);
  refused({ resources: { limits: { memroy: '1Gi' } } }, /spec\.runner\.resources\.limits\.memroy: unknown field "memroy"/);
  refused({ securityContext: { runAsUser: 0 } }, /spec\.runner\.securityContext: unknown field "securityContext"/);
  refused({ annotations: { 'container.apparmor.security.beta.kubernetes.io/import': 'unconfined' } }, /spec\.runner\.annotations: Invalid value: annotations under bulkhead\.dev\/ and the AppArmor and seccomp annotations are the operator's/);
  refused({ labels: { 'bulkhead.dev/csvimport': 'other' } }, /spec\.runner\.labels: Invalid value: label keys under bulkhead\.dev\/ are the operator's/);
  refused({ tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }, /spec\.runner\.tolerations\[0\]: Invalid value: value must be empty when operator is Exists/);
  refused({ tolerations: [{ key: 'k', tolerationSeconds: 5 }] }, /tolerationSeconds needs effect NoExecute/);
});

test('--runner-pod-defaults-file is read and checked at start-up, a mistake named by file and field', () => {
  const good = defaultsFile('good.yaml', 'resources:\n  limits:\n    memory: 2Gi\nnodeSelector:\n  pool: batch\n');
  assert.deepEqual(readRunnerPodDefaults(good), { resources: { limits: { memory: '2Gi' } }, nodeSelector: { pool: 'batch' } });
  assert.deepEqual(operatorConfig({ runnerPodDefaultsFile: good }, {}).runnerPodDefaults.nodeSelector, { pool: 'batch' });
  assert.deepEqual(operatorConfig({}, {}).runnerPodDefaults, {}, 'no file: no defaults');
  assert.deepEqual(readRunnerPodDefaults(defaultsFile('empty.yaml', '')), {}, 'an empty file sets nothing');

  const bad = (name: string, text: string, message: RegExp) => assert.throws(() => operatorConfig({ runnerPodDefaultsFile: defaultsFile(name, text) }, {}),
    (err: Error) => err instanceof InvalidInputError && err.message.includes(join(work, name)) && message.test(err.message), `${name}: ${text}`);
  bad('typo.yaml', 'nodeSelectr: {}\n', /runner\.nodeSelectr: unknown field "nodeSelectr"/);
  bad('type.yaml', 'tolerations: {}\n', /runner\.tolerations: Invalid value: must be array/);
  bad('quantity.yaml', 'resources:\n  requests:\n    cpu: two\n', /runner\.resources\.requests\.cpu: Invalid value: must match pattern/);
  bad('security.yaml', 'annotations:\n  seccomp.security.alpha.kubernetes.io/pod: unconfined\n', /runner\.annotations: Invalid value: annotations under bulkhead\.dev/);
  bad('list.yaml', '- a\n', /expected a mapping of runner pod settings/);
  bad('affinity.yaml', 'affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n        - matchExpression: []\n',
    /runner\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\[0\]\.matchExpression: unknown field "matchExpression"/);
  bad('yaml.yaml', 'resources: [\n', /line 2|Flow sequence/i);
  assert.throws(() => operatorConfig({ runnerPodDefaultsFile: join(work, 'missing.yaml') }, {}), /--runner-pod-defaults-file .*missing\.yaml: ENOENT/);
});

test('a CR\'s affinity is checked against Kubernetes\' Affinity, which the CRD keeps as it is', () => {
  assert.equal(runnerSpecError(undefined), undefined);
  assert.equal(runnerSpecError(defaults), undefined, 'a real affinity passes');
  assert.equal(runnerSpecError({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { a: 'b' } } }] } } }), undefined);
  assert.equal(runnerSpecError({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelectr: {} }] } } }),
    'spec.runner.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelectr: unknown field "labelSelectr"');
  assert.equal(runnerSpecError({ affinity: { nodeAfinity: {} } as RunnerPodOptions['affinity'] }), 'spec.runner.affinity.nodeAfinity: unknown field "nodeAfinity"');
});
