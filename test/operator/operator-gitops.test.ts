/**
 * What GitOps tools read, on a real control plane: the Argo CD health check and the Flux healthCheckExprs shipped in
 * docs/gitops/ judge real CsvImports (succeeded, failed, running, waiting for the budget) and a StressRun as the
 * operator left them; every condition carries observedGeneration; kubectl's columns show the Ready reason and
 * message; the annotation bulkhead.dev/rerun runs a finished import again; the operator's writes name their field
 * manager.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { waitFor } from '../harness/kubectl.js';
import { argoHealth, fluxHealth, kstatusHealth, type FluxHealthCheck } from '../harness/gitops-health.js';
import { itemsCsv, itemsImport, jobsStressRun, jobsTableSql, operatorEnv, stopAfterTests, type OperatorEnv } from './operator-fixture.js';

interface Condition { type: string; status: string; reason: string; message: string; observedGeneration?: number }
interface Status { phase?: string; jobName?: string; rerun?: string; observedGeneration?: number; workers?: number; rows?: { read?: number; inserted?: number; unchanged?: number }; conditions?: Condition[] }
interface Resource { kind: string; metadata: { name: string; generation: number; managedFields?: { manager: string; operation: string; subresource?: string; fieldsV1?: unknown }[] }; status?: Status }

const NS = 'gitops';
const docs = (path: string) => fileURLToPath(new URL(`../../../docs/gitops/${path}`, import.meta.url));
let env: OperatorEnv;
let argo: Record<string, string>;
let flux: FluxHealthCheck[];
let releaseSlow: () => void = () => undefined;

stopAfterTests(() => env);

before(async () => {
  argo = (parse(await readFile(docs('argocd-cm.yaml'), 'utf8')) as { data: Record<string, string> }).data;
  flux = (parse(await readFile(docs('flux-kustomization.yaml'), 'utf8')) as { spec: { healthCheckExprs: FluxHealthCheck[] } }).spec.healthCheckExprs;
  env = await operatorEnv({ maxConnections: 30, namespace: NS });
  await env.pool.query('CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int)');
  await env.pool.query(jobsTableSql(1000));
  await env.startOperator();
});

const get = async (resource: string, name: string) => {
  const object = await env.k.getJson<Resource>(resource, name, NS);
  assert.ok(object, `${resource}/${name} exists`);
  return object;
};
/** What Argo CD and Flux make of an object, with the check each ships for its kind. */
const judge = (object: Resource) => {
  const script = argo[`resource.customizations.health.bulkhead.dev_${object.kind}`];
  const check = flux.find((c) => c.kind === object.kind);
  assert.ok(script && check, `docs/gitops has checks for ${object.kind}`);
  return { argo: argoHealth(script, object), flux: fluxHealth(check, object as unknown as Record<string, unknown>), kstatus: kstatusHealth(object) };
};
const ready = (s: Status | undefined) => s?.conditions?.find((c) => c.type === 'Ready');

test('Argo CD and Flux tell a succeeded, a failed, a running and a budget-starved import, and a running StressRun, apart', async () => {
  const held = new Promise<void>((resolve) => (releaseSlow = resolve));
  await env.k.applyYaml([
    itemsImport(NS, 'ok', env.serveCsv('ok.csv', itemsCsv(1, 200))),
    itemsImport(NS, 'bad', env.serveCsv('bad.csv', 'id,name,colour\n1,a,red\n')),
    itemsImport(NS, 'slow', env.serveCsv('slow.csv', itemsCsv(1001, 3000), held)),
    itemsImport(NS, 'starved', env.serveCsv('starved.csv', itemsCsv(5001, 5010)), { connections: 64 }),
    jobsStressRun(NS, 'workers', 1, { processor: { type: 'noop' } }),
  ].join('---\n'));
  const wait = (name: string, what: string, done: (s: Status) => boolean) => env.waitStatus<Status>('csvimport', name, what, done, 90_000);
  await wait('ok', 'to succeed', (s) => s.phase === 'Succeeded');
  await wait('bad', 'to fail', (s) => s.phase === 'Failed');
  await wait('slow', 'to run', (s) => s.phase === 'Running');
  await wait('starved', 'to wait for the budget', (s) => s.phase === 'Pending' && ready(s)?.reason === 'InsufficientConnections');
  await env.waitStatus<Status>('stressrun', 'workers', 'to have its worker ready', (s) => ready(s)?.status === 'True');

  const seen = new Map<string, ReturnType<typeof judge>>();
  for (const [resource, name] of [['csvimport', 'ok'], ['csvimport', 'bad'], ['csvimport', 'slow'], ['csvimport', 'starved'], ['stressrun', 'workers']] as const) {
    const object = await get(resource, name);
    assert.equal(object.status?.observedGeneration, object.metadata.generation, `${name}: status.observedGeneration`);
    for (const c of object.status?.conditions ?? []) assert.equal(c.observedGeneration, object.metadata.generation, `${name}: ${c.type}.observedGeneration`);
    seen.set(name, judge(object));
  }
  // Argo CD's check, Flux's healthCheckExprs, and plain kstatus (Flux without the expressions) agree on each.
  const summary = Object.fromEntries([...seen].map(([name, h]) => [name, `${h.argo.status}/${h.flux}/${h.kstatus}`]));
  assert.deepEqual(summary, {
    ok: 'Healthy/Current/Current', bad: 'Degraded/Failed/Failed', slow: 'Progressing/InProgress/InProgress',
    starved: 'Progressing/InProgress/InProgress', workers: 'Healthy/Current/Current',
  });
  assert.match(seen.get('ok')?.argo.message ?? '', /^read 200 rows: 200 inserted/);
  assert.match(seen.get('bad')?.argo.message ?? '', /^InvalidInput: .*bad\.csv:1 header column "colour": column "colour" does not exist/s);
  assert.match(seen.get('slow')?.argo.message ?? '', /^Running: Job slow-[0-9a-f]{6} is running$/);
  assert.match(seen.get('starved')?.argo.message ?? '', /^InsufficientConnections: needs 64 more connections, more than this server's whole capacity/);

  const table = await env.k.kubectl(['get', 'csvimports', '-n', NS]);
  assert.match(table.stdout, /^NAME\s+PHASE\s+ROWS\s+REJECTED\s+DURATION\s+REASON\s+AGE$/m);
  assert.match(table.stdout, /^ok\s+Succeeded\s+200\s+0\s+\S+\s+Succeeded\s/m);
  assert.match(table.stdout, /^bad\s+Failed\s+.*\sInvalidInput\s/m);
  assert.match(table.stdout, /^starved\s+Pending\s+.*\sInsufficientConnections\s/m);
  const wide = await env.k.kubectl(['get', 'csvimports', 'starved', '-n', NS, '-o', 'wide']);
  assert.match(wide.stdout, /REASON\s+AGE\s+MESSAGE/);
  assert.match(wide.stdout, /needs 64 more connections/);
  const runs = await env.k.kubectl(['get', 'stressruns', '-n', NS]);
  assert.match(runs.stdout, /^NAME\s+DESIRED\s+GRANTED\s+READY\s+ITEMS\/S\s+STATUS\s+REASON\s+AGE$/m);
  assert.match(runs.stdout, /^workers\s+1\s+1\s+1\s+\S+\s+True\s+WorkersReady\s/m);

  releaseSlow();
  await wait('slow', 'to succeed', (s) => s.phase === 'Succeeded');
  assert.deepEqual((({ argo: a, flux: f, kstatus: k }) => `${a.status}/${f}/${k}`)(judge(await get('csvimport', 'slow'))), 'Healthy/Current/Current');
});

test('a new value of bulkhead.dev/rerun runs a finished import again with a new Job; the same value does not', async () => {
  const first = (await get('csvimport', 'ok')).status;
  assert.ok(first?.jobName);
  const annotate = (value: string) => env.k.kubectl(['annotate', '--overwrite', 'csvimport', 'ok', '-n', NS, `bulkhead.dev/rerun=${value}`]);
  assert.equal((await annotate('2026-11-30')).code, 0);
  const again = await env.waitStatus<Status>('csvimport', 'ok', 'to run again and succeed', (s) => s.rerun === '2026-11-30' && s.phase === 'Succeeded', 90_000);
  assert.notEqual(again.jobName, first.jobName, 'a new Job');
  assert.deepEqual({ read: again.rows?.read, inserted: again.rows?.inserted, unchanged: again.rows?.unchanged }, { read: 200, inserted: 0, unchanged: 200 }, 'the same file, merged again');
  await waitFor(async () => {
    const old = await env.k.getJson('job', first.jobName ?? '', NS);
    return { done: old === undefined, value: `Job ${first.jobName} still there` };
  }, { what: 'the last run\'s Job to go' });

  // The same value again (a re-apply of the same manifest, say) is not a new run: resyncs come every 2 s.
  assert.equal((await annotate('2026-11-30')).code, 0);
  await new Promise((r) => setTimeout(r, 5000));
  assert.equal((await get('csvimport', 'ok')).status?.jobName, again.jobName);
});

test('the operator\'s status and finalizer writes, and its Jobs, name the field manager bulkhead-operator', async () => {
  const fields = async (resource: string, name: string) => {
    const r = await env.k.kubectl(['get', resource, name, '-n', NS, '-o', 'json', '--show-managed-fields']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as Resource).metadata.managedFields ?? [];
  };
  for (const [resource, name] of [['csvimport', 'ok'], ['stressrun', 'workers']] as const) {
    const managed = await fields(resource, name);
    const managers = managed.map((m) => `${m.manager}${m.subresource ? `/${m.subresource}` : ''}`);
    assert.ok(managers.includes('bulkhead-operator/status'), `${name}: ${managers.join(', ')}`);
    for (const m of managed) assert.match(m.manager, /^(bulkhead-operator|kubectl.*)$/, `${name}: every writer is named (${managers.join(', ')})`);
  }
  const finalizers = (await fields('csvimport', 'ok')).filter((m) => JSON.stringify(m.fieldsV1).includes('f:finalizers'));
  assert.deepEqual(finalizers.map((m) => m.manager), ['bulkhead-operator']);
  const job = (await get('csvimport', 'ok')).status?.jobName ?? '';
  const jobWriters = (await fields('job', job)).filter((m) => !m.subresource).map((m) => m.manager);
  assert.deepEqual(jobWriters, ['bulkhead-operator']);
});
