/**
 * What keeps CRs and namespaces apart (issue 10, items 5 and 7), on a real control plane: two CsvImports whose names
 * share their first 63 characters each keep their own Job; a database Secret without the opt-in label is refused
 * with a condition that names the label, and labelling it lets the CR go on; an operator started for one namespace
 * leaves CRs in another alone.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { waitFor } from '../harness/kubectl.js';
import { databaseSecret, itemsCsv, itemsImport, jobsStressRun, operatorEnv, stopAfterTests, type OperatorEnv } from './operator-fixture.js';

interface Condition { type: string; status: string; reason: string; message: string }
interface ImportStatus { phase?: string; jobName?: string; conditions?: Condition[] }
interface Job { metadata: { name: string; ownerReferences?: { uid: string; controller?: boolean }[] } }

const NS = 'isolation';
const OTHER_NS = 'not-watched';
let env: OperatorEnv;

stopAfterTests(() => env);

before(async () => {
  env = await operatorEnv({ maxConnections: 30, namespace: NS });
  await env.pool.query('CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int)');
  await env.startOperator();
});

/** Every Job in the namespace, whatever its labels. */
const allJobs = async (namespace = NS): Promise<Job[]> =>
  (JSON.parse((await env.k.kubectl(['get', 'jobs', '-n', namespace, '-o', 'json'])).stdout) as { items: Job[] }).items;

const uidOf = async (resource: string, name: string, namespace = NS) =>
  (await env.k.getJson<{ metadata: { uid: string } }>(resource, name, namespace))?.metadata.uid;

test('two CsvImports whose names share their first 63 characters each keep their own Job; deleting one leaves the other\'s', async () => {
  // 72 and 73 characters: the old label (the first 63) was the same for both. (The unit tests cover a 63rd character
  // that a label value cannot end with.)
  const prefix = 'two-imports-with-one-long-prefix-'.padEnd(63, 'x');
  const [first, second] = [`${prefix}first-one`, `${prefix}second-one`];
  await env.k.applyYaml(itemsImport(NS, first, env.serveCsv('long-1.csv', itemsCsv(1, 50))));
  await env.k.applyYaml(itemsImport(NS, second, env.serveCsv('long-2.csv', itemsCsv(51, 100))));
  const done = (s: ImportStatus) => s.phase === 'Succeeded' || s.phase === 'Failed';
  const [a, b] = [await env.waitStatus<ImportStatus>('csvimport', first, 'to finish', done, 90_000), await env.waitStatus<ImportStatus>('csvimport', second, 'to finish', done, 90_000)];
  assert.equal(a.phase, 'Succeeded', JSON.stringify(a));
  assert.equal(b.phase, 'Succeeded', JSON.stringify(b));
  assert.notEqual(a.jobName, b.jobName);
  const [uidA, uidB] = [await uidOf('csvimport', first), await uidOf('csvimport', second)];

  // A few resyncs (2 s each) later, each CR's Job is still there, controlled by that CR.
  await new Promise((r) => setTimeout(r, 5000));
  const controllerOf = (jobs: Job[], name: string | undefined) => jobs.find((j) => j.metadata.name === name)?.metadata.ownerReferences?.find((o) => o.controller)?.uid;
  let jobs = await allJobs();
  assert.equal(controllerOf(jobs, a.jobName), uidA, `${first}'s Job is kept: ${jobs.map((j) => j.metadata.name).join(', ')}`);
  assert.equal(controllerOf(jobs, b.jobName), uidB, `${second}'s Job is kept`);

  await env.k.kubectl(['delete', 'csvimport', first, '-n', NS, '--wait=true', '--timeout=60s']);
  await waitFor(async () => {
    jobs = await allJobs();
    return { done: !jobs.some((j) => j.metadata.name === a.jobName), value: jobs.map((j) => j.metadata.name) };
  }, { what: `${first}'s Job to go with it`, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(controllerOf(await allJobs(), b.jobName), uidB, `deleting ${first} leaves ${second}'s Job`);
  assert.equal((await env.status<ImportStatus>('csvimport', second))?.phase, 'Succeeded');
});

test('a Secret without the label bulkhead.dev/database: "true" is refused with a condition naming the label; labelling it lets the import run', async () => {
  await env.k.applyYaml(databaseSecret(NS, 'pg-unlabelled', env.pg.url, false));
  const unlabelled = { database: { secretRef: { name: 'pg-unlabelled' } } };
  await env.k.applyYaml(itemsImport(NS, 'needs-label', env.serveCsv('needs-label.csv', itemsCsv(1001, 1100)), unlabelled));
  await env.k.applyYaml(jobsStressRun(NS, 'needs-label', 1, unlabelled));
  const refused = await env.waitStatus<ImportStatus>('csvimport', 'needs-label', 'to be refused', (s) => s.conditions?.some((c) => c.reason === 'SecretNotLabelled') ?? false);
  assert.equal(refused.phase, 'Pending', 'waiting, not failed: the Secret may be labelled later');
  const condition = refused.conditions?.find((c) => c.type === 'BudgetAdmitted');
  assert.equal(condition?.status, 'False');
  assert.match(condition?.message ?? '', /Secret "pg-unlabelled" lacks the label bulkhead\.dev\/database: "true".*kubectl label secret pg-unlabelled -n isolation bulkhead\.dev\/database=true/);
  assert.ok(!condition?.message.includes(env.pg.url), 'no credentials in the message');
  const run = await env.waitStatus<ImportStatus>('stressrun', 'needs-label', 'to be refused', (s) => s.conditions?.some((c) => c.type === 'Ready' && c.reason === 'SecretNotLabelled') ?? false);
  assert.match(run.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /bulkhead\.dev\/database/);
  const events = await env.k.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=needs-label', '-o', 'jsonpath={.items[*].reason}']);
  assert.match(events.stdout, /SecretNotLabelled/);
  await new Promise((r) => setTimeout(r, 3000));
  const made = [...(await allJobs()).map((j) => j.metadata.name), (await env.k.kubectl(['get', 'deployments', '-n', NS, '-o', 'name'])).stdout];
  assert.ok(!made.some((n) => n.includes('needs-label')), `no Job or Deployment from a refused Secret: ${made.join(' ')}`);
  await env.k.kubectl(['delete', 'stressrun', 'needs-label', '-n', NS, '--wait=true']);

  await env.k.kubectl(['label', 'secret', 'pg-unlabelled', '-n', NS, 'bulkhead.dev/database=true']);
  const ran = await env.waitStatus<ImportStatus>('csvimport', 'needs-label', 'to run once labelled', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(ran.phase, 'Succeeded', JSON.stringify(ran));
  const { rows } = await env.pool.query<{ n: string }>('SELECT count(*) AS n FROM items WHERE id BETWEEN 1001 AND 1100');
  assert.equal(rows[0]?.n, '100');
});

test('an operator started for one namespace leaves a CsvImport in another namespace alone', async () => {
  await env.k.createNamespace(OTHER_NS);
  await env.k.applyYaml(databaseSecret(OTHER_NS, 'pg-app', env.pg.url));
  await env.k.applyYaml(itemsImport(OTHER_NS, 'elsewhere', env.serveCsv('elsewhere.csv', itemsCsv(2001, 2010))));
  // A CR applied after it in the watched namespace runs to the end: the operator has looked at everything since.
  await env.k.applyYaml(itemsImport(NS, 'marker', env.serveCsv('marker.csv', itemsCsv(3001, 3010))));
  await env.waitStatus<ImportStatus>('csvimport', 'marker', 'to succeed', (s) => s.phase === 'Succeeded', 90_000);
  await new Promise((r) => setTimeout(r, 3000));
  const other = await env.k.getJson<{ metadata: { finalizers?: string[] }; status?: unknown }>('csvimport', 'elsewhere', OTHER_NS);
  assert.equal(other?.status, undefined, 'no status written');
  assert.equal(other?.metadata.finalizers, undefined, 'no finalizer added');
  assert.deepEqual(await allJobs(OTHER_NS), [], 'no Job made');
  const { rows } = await env.pool.query<{ n: string }>('SELECT count(*) AS n FROM items WHERE id BETWEEN 2001 AND 2010');
  assert.equal(rows[0]?.n, '0');
});
