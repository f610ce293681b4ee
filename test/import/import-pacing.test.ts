/**
 * Merge pacing on real PostgreSQL under a synthetic load: the import backs off when a signal crosses its limit
 * (workers' latency, made slow by a trigger; sessions waiting on its locks) and speeds up again once it clears; a
 * pause from bulkhead.import_control holds the merge between chunks with no lock held, and a pacing written there
 * applies without a new run. What is asserted is the controller's behaviour, not its figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { ChildProcess } from 'node:child_process';
import { testDatabase } from '../harness/test-database.js';
import { importSummary, runImport, scratchDir, writeCsv, csvImportManifest } from './import-fixtures.js';
import { createQueue, runWorker, stressRunManifest } from '../worker/worker-fixtures.js';
import type { CliResult } from '../harness/run-cli.js';
import { freePort } from '../../runners/shared/embedded-postgres.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PacingSeen {
  state: string;
  signal?: string;
  chunkRows: number;
  pauseMilliseconds: number;
}

/** The import's pacing as it reports it with its progress, or undefined before it does. */
async function pacingOf(name: string): Promise<PacingSeen | undefined> {
  const { rows } = await db.pool.query<{ pacing: PacingSeen | null }>("SELECT pacing FROM bulkhead.import_progress WHERE import = $1 AND phase = 'merge'", [`local/${name}`]);
  return rows[0]?.pacing ?? undefined;
}

/** Polls until the import reports a pacing that matches, or fails after timeoutMs. */
async function waitForPacing(name: string, match: (p: PacingSeen) => boolean, what: string, timeoutMs = 60_000): Promise<PacingSeen> {
  const until = Date.now() + timeoutMs;
  let last: PacingSeen | undefined;
  while (Date.now() < until) {
    last = await pacingOf(name).catch(() => undefined);
    if (last && match(last)) return last;
    await sleep(50);
  }
  assert.fail(`the import never reported ${what}; last: ${JSON.stringify(last)}`);
}

/** A target holding every key of the file, and a file that changes every row: each chunk updates (and locks) rows. */
async function paceTarget(table: string, rows: number): Promise<string> {
  await db.pool.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL);
    INSERT INTO ${table} SELECT g, 0 FROM generate_series(1, ${rows}) g`);
  return writeCsv(dir, `${table}.csv`, `id,v\n${Array.from({ length: rows }, (_, i) => `${i + 1},${i + 1}`).join('\n')}\n`);
}

function startImport(name: string, table: string, file: string, merge: Record<string, unknown>, extra: string[] = []): Promise<CliResult> {
  const manifest = csvImportManifest(dir, name, { target: { table, key: ['id'] }, merge });
  return runImport(db.url, ['--manifest', manifest, '--file', file, ...extra]);
}

/** Asserts a paced run finished with every row changed. */
async function assertMerged(result: CliResult, table: string, rows: number): Promise<void> {
  assert.equal(result.code, 0, result.stderr);
  assert.equal(importSummary(result).rowsUpdated, rows);
  const { rows: [left] } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE v <> id`);
  assert.equal(left?.n, 0, 'every row merged');
}

test('workers slowed past maxWorkerP95Ms throttle the merge (smaller chunks, a pause); once they are fast again it speeds up', async () => {
  const rows = 20_000;
  const file = await paceTarget('paced_latency', rows);
  await createQueue(db.pool, 'q_paced', 100_000);
  // The bulkhead schema, as any earlier import leaves it: workers publish into it, they never create it.
  await db.pool.query('CREATE TABLE schema_maker (id int PRIMARY KEY)');
  assert.equal((await runImport(db.url, ['--file', writeCsv(dir, 'one.csv', 'id\n1\n'), '--table', 'schema_maker', '--key', 'id'])).code, 0);
  // The synthetic load: every statement on the queue table waits 400 ms, far over the limit of 200 ms, which a
  // loaded machine's ordinary statements stay well under.
  await db.pool.query(`CREATE FUNCTION slow_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$;
    CREATE TRIGGER q_paced_slow AFTER UPDATE ON q_paced FOR EACH STATEMENT EXECUTE FUNCTION slow_statement()`);
  let worker: ChildProcess | undefined;
  const workerDone = runWorker(db.url, ['--manifest', stressRunManifest(dir, 'paced-workers', { queue: { table: 'q_paced', batchSize: 5 }, processor: { type: 'sleep', sleep: { minMs: 20, maxMs: 20 } } })],
    { onSpawn: (child) => (worker = child) });
  try {
    await waitUntil(async () => (await db.pool.query("SELECT 1 FROM bulkhead.worker_signals WHERE claims > 0")).rowCount === 1, 'the worker publishes its latency');
    const importing = startImport('paced-latency', 'paced_latency', file, { chunkRows: 4000, pacing: { maxWorkerP95Ms: 200, minChunkRows: 500, maxPauseSeconds: 1, minRowsPerSecond: 100 } });
    const throttled = await waitForPacing('paced-latency', (p) => p.state === 'Throttled', 'Throttled');
    assert.match(throttled.signal ?? '', /^worker(Claim|Completion)Latency$/);
    assert.ok(throttled.chunkRows < 1000 && throttled.pauseMilliseconds > 0, `a smaller chunk (started at 1000) and a pause: ${JSON.stringify(throttled)}`);
    const floor = await waitForPacing('paced-latency', (p) => p.chunkRows === 500, 'the smallest chunk, minChunkRows');
    assert.equal(floor.state, 'Throttled');
    await db.pool.query('DROP TRIGGER q_paced_slow ON q_paced');
    await waitForPacing('paced-latency', (p) => p.state === 'Running' && p.chunkRows > 500, 'Running again with a larger chunk');
    const result = await importing;
    await assertMerged(result, 'paced_latency', rows);
    assert.match(result.messages, /throttling the merge: worker(Claim|Completion)Latency p95 [\d.]+ ms, limit 200 ms/);
    assert.match(result.messages, /every pacing signal is clear: the merge speeds up again/);
  } finally {
    worker?.kill('SIGTERM');
    await workerDone;
  }
  const { rows: left } = await db.pool.query('SELECT worker FROM bulkhead.worker_signals');
  assert.deepEqual(left, [], 'a worker that stops takes its signals row with it');
});

test('sessions waiting on the chunk\'s locks throttle the merge past maxLockWaiters; it speeds up once they stop', async () => {
  const rows = 20_000;
  const file = await paceTarget('paced_locks', rows);
  // Each chunk holds its locks for 100 ms after its rows are written, so a session asking for the table waits.
  await db.pool.query(`CREATE FUNCTION hold_a_moment() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.1); RETURN NULL; END $$;
    CREATE TRIGGER paced_locks_hold AFTER UPDATE ON paced_locks FOR EACH STATEMENT EXECUTE FUNCTION hold_a_moment()`);
  const blocker = new pg.Client({ connectionString: db.url });
  await blocker.connect();
  let blocking = true;
  // The other workload: it wants the table in SHARE mode now and then, which conflicts with the chunk's writes.
  const loop = (async () => {
    while (blocking) {
      await blocker.query('BEGIN; LOCK TABLE paced_locks IN SHARE MODE; COMMIT');
      await sleep(20);
    }
  })();
  try {
    const importing = startImport('paced-locks', 'paced_locks', file, { chunkRows: 4000, pacing: { maxLockWaiters: 0, minChunkRows: 500, maxPauseSeconds: 1, minRowsPerSecond: 100 } });
    const throttled = await waitForPacing('paced-locks', (p) => p.state === 'Throttled', 'Throttled');
    assert.equal(throttled.signal, 'lockWaiters');
    blocking = false;
    await loop;
    await waitForPacing('paced-locks', (p) => p.state === 'Running', 'Running again');
    await assertMerged(await importing, 'paced_locks', rows);
  } finally {
    blocking = false;
    await loop.catch(() => undefined);
    await blocker.end();
  }
});

test('a pause in import_control holds the merge between chunks with no lock on the target; a pacing written there applies without a new run', async () => {
  const rows = 5000;
  const file = await paceTarget('paced_control', rows);
  const name = 'paced-control';
  await db.pool.query('INSERT INTO bulkhead.import_control (import, paused) VALUES ($1, true) ON CONFLICT (owner, import) DO UPDATE SET paused = true, pacing = NULL', [`local/${name}`]);
  const port = await freePort();
  const importing = startImport(name, 'paced_control', file, { chunkRows: 1000 }, ['--metrics-port', String(port)]);
  await waitForPacing(name, (p) => p.state === 'Paused', 'Paused');
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(metrics, /^bulkhead_import_pacing_state\{state="Paused"\} 1$/m);
  assert.match(metrics, /^bulkhead_import_pacing_state\{state="Running"\} 0$/m);
  await sleep(1500);
  const { rows: [held] } = await db.pool.query<{ done: number; locks: number; changed: number }>(`SELECT
      (SELECT rows_done::int FROM bulkhead.import_progress WHERE import = $1) AS done,
      (SELECT count(*)::int FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $2 AND l.relation = 'paced_control'::regclass) AS locks,
      (SELECT count(*)::int FROM paced_control WHERE v <> 0) AS changed`, [`local/${name}`, `bulkhead/import/local/${name}`]);
  assert.deepEqual(held, { done: 0, locks: 0, changed: 0 }, 'paused before its first chunk: nothing merged, no lock held');

  // An invalid pacing is ignored with a warning; a valid one is adopted, and the pause lifted, at once.
  await db.pool.query('UPDATE bulkhead.import_control SET pacing = $2 WHERE import = $1', [`local/${name}`, JSON.stringify({ minChunkRows: -5 })]);
  await sleep(1500);
  await db.pool.query('UPDATE bulkhead.import_control SET paused = false, pacing = $2 WHERE import = $1', [`local/${name}`, JSON.stringify({ maxLockWaiters: 3, minChunkRows: 100 })]);
  const result = await importing;
  await assertMerged(result, 'paced_control', rows);
  assert.match(result.messages, /the live pacing in bulkhead.import_control is invalid; keeping the current pacing/);
  assert.match(result.messages, /the merge pacing changed; it applies from the next chunk/);
  assert.match(result.messages, /resumed/);
  assert.equal(importSummary(result).fastPath, false, 'paced, so in chunks');
  await db.pool.query('DELETE FROM bulkhead.import_control');
});

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting until ${what}`);
}
