/**
 * CsvImport end to end on a real control plane: kubectl apply → budget admission → Job → rows in the table →
 * status with exact counts; the API server's validation; a spec edit re-runs; delete removes Job and staging;
 * a restarted operator makes no second Job.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { waitFor } from '../harness/kubectl.js';
import { itemsCsv, itemsImport, operatorEnv, stopAfterTests, type OperatorEnv, type OperatorProcess } from './operator-fixture.js';

interface ImportStatus {
  phase?: string;
  jobName?: string;
  observedGeneration?: number;
  grantedConnections?: number;
  rows?: { read?: number; inserted?: number; updated?: number; unchanged?: number; rejected?: number };
  progress?: { bytesProcessed?: number; tuplesProcessed?: number };
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

const NS = 'imports';
let env: OperatorEnv;
let operator: OperatorProcess;

stopAfterTests(() => env);

before(async () => {
  env = await operatorEnv({ maxConnections: 30, namespace: NS });
  await env.pool.query('CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int)');
  operator = await env.startOperator();
});

const jobsOf = async (name: string) => {
  const r = await env.k.kubectl(['get', 'jobs', '-n', NS, '-l', `bulkhead.dev/csvimport=${name}`, '-o', 'name']);
  return r.stdout.split('\n').filter(Boolean);
};

test('kubectl apply of a CsvImport runs a Job that lands the rows; kubectl get csvi shows the exact counts', async () => {
  await env.k.applyYaml(itemsImport(NS, 'first', env.serveCsv('first.csv', itemsCsv(1, 500))));
  const status = await env.waitStatus<ImportStatus>('csvimport', 'first', 'to succeed', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(status.phase, 'Succeeded', JSON.stringify(status));
  assert.deepEqual({ ...status.rows }, { read: 500, rejected: 0, duplicateKeys: 0, inserted: 500, updated: 0, unchanged: 0 });
  assert.equal(status.grantedConnections, 0, 'a finished import gives its connection back');
  assert.ok(status.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True'));
  const { rows } = await env.pool.query<{ n: string }>('SELECT count(*) AS n FROM items');
  assert.equal(rows[0]?.n, '500');
  const table = await env.k.kubectl(['get', 'csvi', 'first', '-n', NS]);
  assert.match(table.stdout, /PHASE\s+ROWS\s+REJECTED\s+DURATION\s+REASON\s+AGE/);
  assert.match(table.stdout, /first\s+Succeeded\s+500\s+0\s+\d+\S*\s+Succeeded\s/);
  const events = await env.k.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=first', '-o', 'jsonpath={.items[*].reason}']);
  for (const reason of ['Admitted', 'Succeeded']) assert.match(events.stdout, new RegExp(reason));
});

test('the Job runs with no API access and takes the database from the Secret, never inline', async () => {
  const [job] = await jobsOf('first');
  assert.ok(job, 'the Job is kept until its TTL');
  const r = await env.k.kubectl(['get', job, '-n', NS, '-o', 'json']);
  const spec = (JSON.parse(r.stdout) as { spec: { template: { spec: Record<string, unknown> & { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] } } } }).spec.template.spec;
  assert.equal(spec.automountServiceAccountToken, false);
  const envVars = spec.containers[0]?.env ?? [];
  const url = envVars.find((e) => e.name === 'DATABASE_URL');
  assert.deepEqual(url?.valueFrom, { secretKeyRef: { name: 'pg-app', key: 'uri' } });
  assert.ok(!r.stdout.includes(env.pg.url), 'the connection string is not in the Job');
});

test('the API server refuses invalid CsvImports with a message that names the field', async () => {
  const example = parse(await readFile(fileURLToPath(new URL('../../../examples/advertisers-import.yaml', import.meta.url)), 'utf8')) as { metadata: { name: string; namespace?: string }; spec: Record<string, unknown> & { merge: Record<string, unknown>; source: Record<string, unknown>; target: Record<string, unknown> } };
  example.metadata.namespace = NS;
  const cases: [string, (s: typeof example.spec) => void, RegExp][] = [
    ['chunkRows 0', (s) => (s.merge.chunkRows = 0), /spec\.merge\.chunkRows/],
    ['two sources', (s) => (s.source.path = '/tmp/x.csv'), /spec\.source/],
    ['empty key', (s) => (s.target.key = []), /spec\.target\.key/],
    ['unknown strategy', (s) => (s.merge.strategy = 'replace'), /spec\.merge\.strategy/],
    ['pvc path with ..', (s) => (s.source = { persistentVolumeClaim: { claimName: 'data', path: '../../proc/self/environ' } }),
      /spec\.source\.persistentVolumeClaim\.path: Invalid value: .*path must not have a \.\. segment/],
    ['absolute pvc path', (s) => (s.source = { persistentVolumeClaim: { claimName: 'data', path: '/proc/self/environ' } }),
      /spec\.source\.persistentVolumeClaim\.path: Invalid value: .*path must be relative to the root of the volume/],
    ['pvc path with an empty segment', (s) => (s.source = { persistentVolumeClaim: { claimName: 'data', path: 'a//b.csv' } }),
      /spec\.source\.persistentVolumeClaim\.path: Invalid value: .*path must not have an empty segment/],
    ['configMap key ..', (s) => (s.source = { configMap: { name: 'csvs', key: '..' } }),
      /spec\.source\.configMap\.key: Invalid value: .*key must consist of letters, digits/],
    ['configMap key with a slash', (s) => (s.source = { configMap: { name: 'csvs', key: '../environ' } }),
      /spec\.source\.configMap\.key: Invalid value: .*key must consist of letters, digits/],
  ];
  for (const [what, mutate, field] of cases) {
    const bad = structuredClone(example);
    bad.metadata.name = `bad-${what.replace(/\W+/g, '-')}`;
    mutate(bad.spec);
    const r = await env.k.kubectl(['apply', '-f', '-'], { stdin: stringify(bad) });
    assert.notEqual(r.code, 0, `${what} was accepted`);
    assert.match(r.stderr, field, `${what}: ${r.stderr}`);
  }
  const stress = await env.k.kubectl(['apply', '-f', '-'], { stdin: stringify({
    apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: { name: 'bad-stress', namespace: NS },
    spec: { queue: { table: 'jobs', idColumn: 'id', statusColumn: 'status', urlColumn: 'url' }, processor: { type: 'sleep', http: {} }, workers: -1 },
  }) });
  assert.notEqual(stress.code, 0);
  assert.match(stress.stderr, /spec\.workers/);
  assert.match(stress.stderr, /spec\.processor/);
});

test('a CSV header holding a secret reaches the condition and the Warning Event only clipped to 64 bytes', async () => {
  const secret = 'password=hunter2-'.repeat(12);
  await env.k.applyYaml(itemsImport(NS, 'secret-header', env.serveCsv('secret-header.csv', `id,name,"${secret}"\n1,a,x\n`)));
  const status = await env.waitStatus<ImportStatus>('csvimport', 'secret-header', 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(status.phase, 'Failed', JSON.stringify(status));
  const failed = status.conditions?.find((c) => c.type === 'Succeeded');
  assert.match(failed?.message ?? '', new RegExp(`header column "${secret.slice(0, 64)}…\\[140 more bytes\\]": column ".*" does not exist in public\\.items`));
  const r = await env.k.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=secret-header', '-o', 'json']);
  const events = (JSON.parse(r.stdout) as { items: { type: string; message: string }[] }).items;
  assert.ok(events.some((e) => e.type === 'Warning' && e.message.includes('…[140 more bytes]')), r.stdout);
  const cr = await env.k.kubectl(['get', 'csvimport', 'secret-header', '-n', NS, '-o', 'json']);
  for (const text of [cr.stdout, ...events.map((e) => e.message)]) assert.ok(!text.includes(secret.slice(0, 65)), 'never more than 64 bytes of the header');
});

test('an import with rejected rows under errors.maxRejected succeeds and its status shows the rejected and inserted counts', async () => {
  // A long column name and long bad values make 20 sample rejects outgrow the 4096 bytes Kubernetes keeps of the
  // summary; the counts must come through all the same.
  const column = 'quantity_left_in_the_warehouse_at_the_end_of_the_day_in_units';
  await env.pool.query(`CREATE TABLE stock (id bigint PRIMARY KEY, ${column} int)`);
  const lines = [`id,${column}`];
  for (let i = 1; i <= 300; i++) lines.push(i % 10 === 0 ? `${i},${'not a number '.repeat(20)}` : `${i},${i}`);
  await env.k.applyYaml(itemsImport(NS, 'with-rejects', env.serveCsv('with-rejects.csv', `${lines.join('\n')}\n`),
    { target: { table: 'stock', key: ['id'] }, errors: { maxRejected: 50 } }));
  const status = await env.waitStatus<ImportStatus>('csvimport', 'with-rejects', 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(status.phase, 'Succeeded', JSON.stringify(status));
  assert.deepEqual({ ...status.rows }, { read: 300, rejected: 30, duplicateKeys: 0, inserted: 270, updated: 0, unchanged: 0 });
  const done = status.conditions?.find((c) => c.type === 'Succeeded');
  assert.equal(done?.message, 'read 300 rows: 270 inserted, 0 updated, 0 unchanged, 30 rejected');
});

test('a row the target refuses mid-merge fails the CsvImport at once, with no retry, as RowRefused with its line and what is merged', async () => {
  await env.pool.query("CREATE TABLE guarded (id bigint PRIMARY KEY, name text NOT NULL, qty int CONSTRAINT qty_small CHECK (qty < 1000)); INSERT INTO guarded VALUES (0, 'seed', 0)");
  const lines = itemsCsv(1, 100).trim().split('\n');
  lines[58] = '58,item 58,5000'; // line 59, in the sixth chunk of 10
  await env.k.applyYaml(itemsImport(NS, 'refused', env.serveCsv('refused.csv', `${lines.join('\n')}\n`),
    { target: { table: 'guarded', key: ['id'] }, merge: { chunkRows: 10 } }));
  const status = await env.waitStatus<ImportStatus>('csvimport', 'refused', 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(status.phase, 'Failed', JSON.stringify(status));
  const failed = status.conditions?.find((c) => c.type === 'Succeeded');
  assert.equal(failed?.reason, 'RowRefused', JSON.stringify(failed));
  assert.match(failed?.message ?? '', /refused\.csv:59: the target refused this row, and the merge stopped: .*constraint "qty_small".*The 50 rows of the chunks before it are merged/);
  assert.deepEqual({ ...status.rows }, { read: 100, rejected: 0, duplicateKeys: 0, inserted: 50, updated: 0, unchanged: 0 });
  const { rows } = await env.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM guarded WHERE id > 0');
  assert.equal(rows[0]?.n, 50);
  const [job] = await jobsOf('refused');
  const pods = await env.k.kubectl(['get', 'pods', '-n', NS, '-l', `job-name=${job?.replace('job.batch/', '')}`, '-o', 'name']);
  assert.equal(pods.stdout.split('\n').filter(Boolean).length, 1, 'exit 3 is final: the Job ran one pod, not backoffLimit more');
});

test('editing the spec runs the import again as a new Job', async () => {
  const url = env.serveCsv('second.csv', itemsCsv(1, 600, 2));
  await env.k.applyYaml(itemsImport(NS, 'first', url));
  const status = await env.waitStatus<ImportStatus>('csvimport', 'first', 'to succeed for generation 2', (s) => s.observedGeneration === 2 && (s.phase === 'Succeeded' || s.phase === 'Failed'), 90_000);
  assert.equal(status.phase, 'Succeeded', JSON.stringify(status));
  assert.deepEqual({ inserted: status.rows?.inserted, updated: status.rows?.updated }, { inserted: 100, updated: 500 });
  assert.equal((await jobsOf('first')).length, 1, 'the first generation\'s Job was replaced, not kept running beside');
});

test('restarting the operator mid-run creates no second Job and keeps the grant', async () => {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await env.k.applyYaml(itemsImport(NS, 'slow', env.serveCsv('slow.csv', itemsCsv(5001, 6000), held)));
  const running = await env.waitStatus<ImportStatus>('csvimport', 'slow', 'to run with COPY progress', (s) => s.phase === 'Running' && (s.progress?.bytesProcessed ?? 0) > 0, 60_000);
  // Half the file is sent and the rest held back: pg_stat_progress_copy has counted those bytes. (Its tuple
  // count moves as COPY flushes its insert buffers, so it may still be 0 here.)
  assert.ok((running.progress?.bytesProcessed ?? 0) >= itemsCsv(5001, 5400).length);
  assert.equal(running.grantedConnections, 1);
  await operator.stop();
  operator = await env.startOperator();
  await new Promise((r) => setTimeout(r, 3000)); // a few resyncs of the new operator
  assert.equal((await jobsOf('slow')).length, 1, 'no duplicate Job after a restart');
  const still = await env.status<ImportStatus>('csvimport', 'slow');
  assert.deepEqual([still?.phase, still?.grantedConnections], ['Running', 1], 'the grant survives the restart');
  release();
  const done = await env.waitStatus<ImportStatus>('csvimport', 'slow', 'to succeed', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 60_000);
  assert.deepEqual([done.phase, done.rows?.inserted, done.grantedConnections], ['Succeeded', 1000, 0]);
  const { rows: bookkeeping } = await env.pool.query<{ phase: string; rows_done: string; rows_total: string }>(
    "SELECT phase, rows_done, rows_total FROM bulkhead.import_progress WHERE import = 'imports/slow'");
  assert.deepEqual(bookkeeping[0], { phase: 'merge', rows_done: '1000', rows_total: '1000' }, 'the merge bookkeeping the operator reads while merging');
});

test('deleting a CsvImport removes its Job and its staging tables', async () => {
  await env.pool.query('CREATE SCHEMA IF NOT EXISTS bulkhead');
  const { stagingNames } = await import('../../runners/import/staging.js');
  const names = stagingNames(NS, 'first');
  await env.pool.query(`CREATE UNLOGGED TABLE bulkhead.${names.stage} (line bigint)`);
  const r = await env.k.kubectl(['delete', 'csvimport', 'first', '-n', NS, '--wait=true', '--timeout=60s']);
  assert.equal(r.code, 0, r.stderr);
  await waitFor(async () => {
    const jobs = await jobsOf('first');
    return { done: jobs.length === 0, value: jobs };
  }, { what: 'the Job to be deleted', timeoutMs: 30_000 });
  const { rows } = await env.pool.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'bulkhead' AND tablename LIKE $1", [`${names.base}%`]);
  assert.equal(rows[0]?.n, '0', 'the staging table is dropped');
});
