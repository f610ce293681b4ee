/**
 * Live control of a running CsvImport on a real control plane, with the real runner held in its merge by a lock on
 * the target: a change to spec.merge.pacing, or the annotation bulkhead.dev/paused, reaches the run's row of
 * bulkhead.import_control with the same Job (no new run), and GitOps tools still see the generation observed; the
 * pacing state in bulkhead.import_progress (written here directly: the runner is not the subject) shows in
 * status.pacing, in one Event per change of state and on /metrics, and goes when the run ends; a change to what is
 * imported (chunkRows) starts a new Job; deleting the CsvImport deletes its control row.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { waitFor } from '../harness/kubectl.js';
import { itemsCsv, itemsImport, operatorEnv, stopAfterTests, type OperatorEnv, type OperatorProcess } from './operator-fixture.js';

interface Pacing { state?: string; signal?: string; value?: string; rowsPerSecond?: number; chunkRows?: number; pauseMilliseconds?: number }
interface ImportStatus {
  phase?: string;
  jobName?: string;
  runSpecHash?: string;
  observedGeneration?: number;
  rows?: { read?: number; inserted?: number; unchanged?: number };
  pacing?: Pacing;
}

const NS = 'pacing';
const NAME = 'paced';
const ID = `${NS}/${NAME}`;
let env: OperatorEnv;
let operator: OperatorProcess;
/** Holds SHARE on the target while open: the runner's first merge chunk (ROW EXCLUSIVE) waits for it. */
let lock: pg.Client | undefined;

stopAfterTests(() => env);
after(() => lock?.end().catch(() => undefined));

before(async () => {
  env = await operatorEnv({ maxConnections: 30, namespace: NS });
  // One row already there: an empty target would take the fast path, which does not merge in chunks.
  await env.pool.query("CREATE TABLE paced (id bigint PRIMARY KEY, name text NOT NULL, qty int); INSERT INTO paced VALUES (0, 'seed', 0)");
  operator = await env.startOperator();
});

const kubectlOk = async (args: string[]) => {
  const r = await env.k.kubectl([...args, '-n', NS]);
  assert.equal(r.code, 0, r.stderr);
};
const jobs = async () => {
  const r = await env.k.kubectl(['get', 'jobs', '-n', NS, '-l', `bulkhead.dev/csvimport=${NAME}`, '-o', 'jsonpath={range .items[*]}{.metadata.name}/{.metadata.uid}{"\\n"}{end}']);
  return r.stdout.split('\n').filter(Boolean).sort();
};
const control = async () => (await env.pool.query<{ paused: boolean; pacing: Record<string, number> | null }>('SELECT paused, pacing FROM bulkhead.import_control WHERE import = $1', [ID])).rows;
const waitControl = (what: string, done: (row: { paused: boolean; pacing: Record<string, number> | null }) => boolean) =>
  waitFor(async () => {
    const rows = await control().catch(() => []);
    return { done: rows.length === 1 && done(rows[0] as { paused: boolean; pacing: Record<string, number> | null }), value: rows };
  }, { what: `import_control of ${ID} ${what}`, timeoutMs: 30_000 });
const reportPacing = (pacing: Pacing) => env.pool.query('UPDATE bulkhead.import_progress SET pacing = $2 WHERE import = $1', [ID, JSON.stringify(pacing)]);
const eventsOf = async (reason: string) => {
  const r = await env.k.kubectl(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${NAME},reason=${reason}`, '-o', 'json']);
  return (JSON.parse(r.stdout) as { items: { type: string; message: string }[] }).items;
};
/** The CsvImport's pacing series on /metrics: the rate, and the state series with their values. */
async function pacingSeries(): Promise<{ rate: number | undefined; states: Record<string, number> }> {
  const text = await fetch(`http://127.0.0.1:${operator.port}/metrics`).then((r) => r.text());
  const rate = text.match(new RegExp(`^bulkhead_csvimport_merge_rows_per_second\\{namespace="${NS}",csvimport="${NAME}"\\} (\\S+)$`, 'm'))?.[1];
  const states: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^bulkhead_csvimport_pacing_state\\{namespace="${NS}",csvimport="${NAME}",state="(\\w+)"\\} (\\S+)$`, 'gm'))) states[m[1] ?? ''] = Number(m[2]);
  return { rate: rate === undefined ? undefined : Number(rate), states };
}
const waitPacing = (what: string, done: (p: Pacing | undefined) => boolean) => env.waitStatus<ImportStatus>('csvimport', NAME, what, (s) => done(s.pacing), 30_000);

let firstRun: ImportStatus;

test('a change to spec.merge.pacing reaches the running import through import_control with the same Job; the generation is observed', async () => {
  lock = new pg.Client({ connectionString: env.pg.url });
  await lock.connect();
  await lock.query('BEGIN; LOCK TABLE paced IN SHARE MODE');
  await env.k.applyYaml(itemsImport(NS, NAME, env.serveCsv('paced.csv', itemsCsv(1, 100)),
    { target: { table: 'paced', key: ['id'] }, merge: { chunkRows: 10, pacing: { maxLockWaiters: 5 } } }));
  firstRun = await env.waitStatus<ImportStatus>('csvimport', NAME, 'to run', (s) => s.phase === 'Running');
  await waitFor(async () => {
    const { rows } = await env.pool.query<{ phase: string }>('SELECT phase FROM bulkhead.import_progress WHERE import = $1', [ID]).catch(() => ({ rows: [] }));
    return { done: rows[0]?.phase === 'merge', value: rows };
  }, { what: 'the runner to wait in its first merge chunk', timeoutMs: 60_000 });
  const before = await jobs();
  assert.equal(before.length, 1);
  assert.ok(before[0]?.startsWith(`${firstRun.jobName}/`), `${before[0]} is the run's Job`);
  await waitControl('to carry the spec\'s pacing, with its defaults', (r) => !r.paused && isDeepStrictEqual(r.pacing, { maxLockWaiters: 5, minRowsPerSecond: 1000, minChunkRows: 1000, maxPauseSeconds: 10 }));

  await kubectlOk(['patch', 'csvimport', NAME, '--type', 'merge', '-p', '{"spec":{"merge":{"pacing":{"maxLockWaiters":1,"maxPauseSeconds":3}}}}']);
  await waitControl('to carry the new pacing', (r) => r.pacing?.maxLockWaiters === 1 && r.pacing.maxPauseSeconds === 3);
  const after = await env.waitStatus<ImportStatus>('csvimport', NAME, 'to observe generation 2', (s) => s.observedGeneration === 2);
  assert.deepEqual([after.phase, after.jobName, after.runSpecHash], ['Running', firstRun.jobName, firstRun.runSpecHash], 'the same run');
  assert.deepEqual(await jobs(), before, 'the same Job (name and uid): no new run');
  const pods = await env.k.kubectl(['get', 'pods', '-n', NS, '-l', `job-name=${firstRun.jobName}`, '-o', 'name']);
  assert.equal(pods.stdout.split('\n').filter(Boolean).length, 1, 'the runner was not restarted');
});

test('kubectl annotate bulkhead.dev/paused=true pauses the run through import_control, and removing it resumes it', async () => {
  await kubectlOk(['annotate', '--overwrite', 'csvimport', NAME, 'bulkhead.dev/paused=true']);
  await waitControl('to be paused', (r) => r.paused);
  await kubectlOk(['annotate', 'csvimport', NAME, 'bulkhead.dev/paused-']);
  await waitControl('to be resumed', (r) => !r.paused && r.pacing?.maxLockWaiters === 1);
  assert.equal((await jobs()).length, 1);
});

test('the runner\'s pacing state shows in status.pacing, one Event per change of state, and /metrics; it goes when the run ends', async () => {
  const throttled = { state: 'Throttled', signal: 'lockWaiters', value: '3 > 1', rowsPerSecond: 800, chunkRows: 5, pauseMilliseconds: 400 };
  await reportPacing(throttled);
  const shown = await waitPacing('to show Throttled', (p) => p?.state === 'Throttled');
  assert.deepEqual(shown.pacing, throttled);
  await waitFor(async () => {
    const s = await pacingSeries();
    return { done: s.rate === 800 && isDeepStrictEqual(s.states, { Throttled: 1 }), value: s };
  }, { what: 'the pacing series to say Throttled at 800 rows/s', timeoutMs: 15_000 });
  await new Promise((r) => setTimeout(r, 6000)); // more than one 5 s requeue while still Throttled
  const events = await eventsOf('Throttled');
  assert.deepEqual(events.map((e) => [e.type, e.message]), [['Normal', 'lockWaiters read 3 > 1: next chunk 5 rows after a 400 ms pause']], 'one Event for the throttle, not one per reconcile');

  await reportPacing({ state: 'Paused', rowsPerSecond: 0, chunkRows: 5, pauseMilliseconds: 0 });
  await waitPacing('to show Paused', (p) => p?.state === 'Paused');
  await waitFor(async () => ({ done: (await eventsOf('Paused')).length === 1, value: await eventsOf('Paused') }), { what: 'a Paused Event', timeoutMs: 15_000 });
  assert.deepEqual((await pacingSeries()).states, { Paused: 1 }, 'one state series at a time');
  await reportPacing({ state: 'Running', rowsPerSecond: 5000, chunkRows: 10, pauseMilliseconds: 0 });
  await waitPacing('to show Running', (p) => p?.state === 'Running' && p.rowsPerSecond === 5000);
  await waitFor(async () => ({ done: (await eventsOf('Resumed')).length === 1, value: await eventsOf('Resumed') }), { what: 'a Resumed Event', timeoutMs: 15_000 });

  // The last report stays in the table; the status and the series go with the run all the same.
  await reportPacing(throttled);
  await waitPacing('to show Throttled again', (p) => p?.state === 'Throttled');
  await lock?.query('COMMIT');
  const done = await env.waitStatus<ImportStatus>('csvimport', NAME, 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 60_000);
  assert.equal(done.phase, 'Succeeded', JSON.stringify(done));
  assert.deepEqual([done.rows?.inserted, done.pacing], [100, undefined]);
  const series = await pacingSeries();
  assert.deepEqual(series, { rate: undefined, states: {} }, 'no pacing series once the run ended');
});

test('after the run, a pacing-only change starts nothing; a change to chunkRows starts a new Job', async () => {
  const finished = await env.status<ImportStatus>('csvimport', NAME);
  const before = await jobs();
  await kubectlOk(['patch', 'csvimport', NAME, '--type', 'merge', '-p', '{"spec":{"merge":{"pacing":{"maxLockWaiters":4}}}}']);
  const observed = await env.waitStatus<ImportStatus>('csvimport', NAME, 'to observe generation 3', (s) => s.observedGeneration === 3);
  await new Promise((r) => setTimeout(r, 3000)); // a resync or two
  assert.deepEqual([observed.phase, observed.jobName, observed.rows], [finished?.phase, finished?.jobName, finished?.rows]);
  assert.deepEqual(await jobs(), before, 'no new Job');

  await kubectlOk(['patch', 'csvimport', NAME, '--type', 'merge', '-p', '{"spec":{"merge":{"chunkRows":20}}}']);
  const rerun = await env.waitStatus<ImportStatus>('csvimport', NAME, 'to run generation 4 to the end',
    (s) => s.observedGeneration === 4 && s.jobName !== finished?.jobName && (s.phase === 'Succeeded' || s.phase === 'Failed'), 90_000);
  assert.equal(rerun.phase, 'Succeeded', JSON.stringify(rerun));
  assert.notEqual(rerun.runSpecHash, finished?.runSpecHash);
  assert.deepEqual([rerun.rows?.read, rerun.rows?.unchanged], [100, 100], 'a new run with its own counts');
  await waitFor(async () => {
    const now = await jobs();
    return { done: now.length === 1 && now[0]?.startsWith(`${rerun.jobName}/`) === true, value: now };
  }, { what: 'only the new run\'s Job to be left', timeoutMs: 30_000 });
});

test('deleting the CsvImport deletes its import_control row', async () => {
  assert.equal((await control()).length, 1);
  await kubectlOk(['delete', 'csvimport', NAME, '--wait=true', '--timeout=60s']);
  assert.deepEqual(await control(), []);
});
