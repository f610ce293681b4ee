/**
 * Issue 12, item 3, on a real control plane: the operator's runner pod defaults (--runner-pod-defaults-file, what the
 * chart renders from its runner values) and a CR's spec.runner reach the import's Job, its pod, and the workers'
 * Deployment; a spec.runner the API server refuses for the pod (a request above its limit, a typo inside affinity)
 * fails the CR with InvalidSpec and the API server's words, instead of a reconcile that fails forever.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { stringify } from 'yaml';
import { waitFor } from '../harness/kubectl.js';
import { itemsCsv, itemsImport, jobsStressRun, jobsTableSql, operatorEnv, stopAfterTests, type OperatorEnv } from './operator-fixture.js';

interface Condition { type: string; status: string; reason: string; message: string }
interface Status { phase?: string; conditions?: Condition[] }
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { tolerations?: unknown[]; securityContext: Record<string, unknown>; containers: { resources: unknown; securityContext: Record<string, unknown> }[] };
}

const NS = 'runner-pods';
let env: OperatorEnv;

stopAfterTests(() => env);

/** What the chart's default runner values would hold, plus a toleration, a label and an annotation. */
const defaults = {
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
  labels: { team: 'data' },
  annotations: { 'example.com/owner': 'etl' },
};

before(async () => {
  env = await operatorEnv({ maxConnections: 30, namespace: NS });
  await env.pool.query(`CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int); ${jobsTableSql(10)}`);
  const file = join(env.cp.dir, 'runner-pod-defaults.yaml');
  await writeFile(file, stringify(defaults));
  await env.startOperator(['--runner-pod-defaults-file', file]);
});

async function getJson<T>(args: string[]): Promise<T> {
  const r = await env.k.kubectl([...args, '-n', NS, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

const condition = (s: Status | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

test('a CsvImport\'s spec.runner.resources and labels reach its Job\'s pod, beside the defaults, under the operator\'s security', async () => {
  const runner = { resources: { requests: { cpu: '250m', memory: '200Mi' }, limits: { memory: '400Mi' } }, labels: { cost: 'etl' } };
  await env.k.applyYaml(itemsImport(NS, 'sized', env.serveCsv('sized.csv', itemsCsv(1, 50)), { runner }));
  const status = await env.waitStatus<Status>('csvimport', 'sized', 'to succeed', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(status.phase, 'Succeeded', JSON.stringify(status));
  const jobs = await getJson<{ items: { spec: { template: PodTemplate } }[] }>(['get', 'jobs', '-l', 'bulkhead.dev/csvimport=sized']);
  const template = jobs.items[0]?.spec.template;
  assert.ok(template, 'the Job is there');
  assert.deepEqual(template.spec.containers[0]?.resources, runner.resources, 'the CR\'s resources, no default mixed in');
  assert.deepEqual(template.spec.tolerations, defaults.tolerations, 'unset in the CR: the default');
  assert.equal(template.metadata.labels.cost, 'etl');
  assert.equal(template.metadata.labels.team, 'data');
  assert.equal(template.metadata.annotations?.['example.com/owner'], 'etl');
  assert.equal(template.spec.securityContext.runAsNonRoot, true);
  assert.equal(template.spec.containers[0]?.securityContext.allowPrivilegeEscalation, false);
  // And the pod the Job made has them too.
  const pods = await getJson<{ items: { metadata: { labels: Record<string, string> }; spec: { containers: { resources: unknown }[] } }[] }>(['get', 'pods', '-l', 'bulkhead.dev/csvimport=sized']);
  assert.deepEqual(pods.items[0]?.spec.containers[0]?.resources, runner.resources);
  assert.equal(pods.items[0]?.metadata.labels.cost, 'etl');
});

test('a spec.runner that cannot make a pod fails the CsvImport with InvalidSpec naming the field, and makes no Job', async () => {
  const refusedBy = /^spec\.runner: the API server refused the import's Job: HTTP 422: Job\.batch "[a-z0-9-]+" is invalid: /;
  const cases: [string, object, RegExp][] = [
    // The API server's own checks, when the operator creates the Job.
    ['over-limit', { resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } },
      new RegExp(`${refusedBy.source}spec\\.template\\.spec\\.containers\\[0\\]\\.resources\\.requests: Invalid value: "1Gi": must be less than or equal to memory limit`)],
    ['no-terms', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } },
      new RegExp(`${refusedBy.source}.*nodeSelectorTerms: Required value`)],
    // The operator's: a field Kubernetes' Affinity does not have (client-node would drop it without a word).
    ['affinity-typo', { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecutio: [] } } },
      /^spec\.runner\.affinity\.podAntiAffinity\.preferredDuringSchedulingIgnoredDuringExecutio: unknown field "preferredDuringSchedulingIgnoredDuringExecutio"$/],
  ];
  for (const [name, runner, message] of cases) {
    await env.k.applyYaml(itemsImport(NS, name, env.serveCsv(`${name}.csv`, itemsCsv(1, 5)), { runner }));
    const status = await env.waitStatus<Status>('csvimport', name, 'to fail', (s) => s.phase === 'Failed');
    const failed = condition(status, 'Succeeded');
    assert.equal(failed?.reason, 'InvalidSpec', JSON.stringify(status));
    assert.match(failed?.message ?? '', message);
    const jobs = await env.k.kubectl(['get', 'jobs', '-n', NS, '-l', `bulkhead.dev/csvimport=${name}`, '-o', 'name']);
    assert.equal(jobs.stdout.trim(), '', 'no Job');
  }
});

test('a StressRun\'s spec.runner reaches the workers\' Deployment; one the API server refuses stops the run with InvalidSpec', async () => {
  const runner = { resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } }, annotations: { 'example.com/fleet': 'a' } };
  await env.k.applyYaml(jobsStressRun(NS, 'sized-fleet', 1, { processor: { type: 'noop' }, runner }));
  const deployment = await waitFor(async () => {
    const d = await env.k.getJson<{ spec: { template: PodTemplate } }>('deployment', 'sized-fleet', NS);
    return { done: d !== undefined, value: d };
  }, { what: 'the workers\' Deployment' });
  const template = deployment?.spec.template;
  assert.deepEqual(template?.spec.containers[0]?.resources, runner.resources);
  assert.deepEqual(template?.metadata.annotations, { 'example.com/owner': 'etl', 'example.com/fleet': 'a' });
  assert.equal(template?.metadata.labels.team, 'data');

  await env.k.applyYaml(jobsStressRun(NS, 'over-limit-fleet', 1, { processor: { type: 'noop' }, runner: { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } } }));
  const status = await env.waitStatus<Status>('stressrun', 'over-limit-fleet', 'to be refused', (s) => condition(s, 'Ready')?.reason === 'InvalidSpec');
  assert.match(condition(status, 'Ready')?.message ?? '', /^spec\.runner: the API server refused the workers' Deployment: HTTP 422: .*must be less than or equal to cpu limit/);
  assert.equal(await env.k.getJson('deployment', 'over-limit-fleet', NS), undefined, 'no Deployment');
});
