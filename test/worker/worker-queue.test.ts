import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { testDatabase } from '../harness/test-database.js';
import { runCli } from '../harness/run-cli.js';
import { scratchDir } from '../import/import-fixtures.js';
import { createQueue, runWorker, statusCounts, stressRunManifest } from './worker-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

test('three workers drain thousands of rows: every row completed exactly once', async () => {
  await createQueue(db.pool, 'creatives_fresh', 6000);
  const manifest = stressRunManifest(dir, 'three', { queue: { table: 'creatives_fresh', urlColumn: 'creative_url', batchSize: 25 }, processor: { type: 'sleep', sleep: { minMs: 0, maxMs: 1 } } });
  const results = await Promise.all([1, 2, 3].map(() => runWorker(db.url, ['--manifest', manifest, '--drain'])));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await statusCounts(db.pool, 'creatives_fresh'), { 'completed/1': 6000 });
  const done = results.map((r) => JSON.parse(r.stderr.trim().split('\n').filter((l) => l.includes('"event":"done"')).pop() ?? '{}') as { completed: number; claimSecondsP50?: number });
  assert.equal(done.reduce((n, d) => n + d.completed, 0), 6000, 'the workers together completed each row once');
  assert.ok(done.every((d) => d.completed > 0), 'all three workers took part');
  assert.ok(done.every((d) => (d.claimSecondsP50 ?? 0) > 0), 'each worker timed its claims (its claim histogram is not empty)');
  const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM creatives_fresh WHERE locked_by IS NOT NULL OR result->>'ms' IS NULL");
  assert.deepEqual(rows[0], { n: 0 }, 'locks are cleared and results recorded');
});

test('eight workers racing on a noop queue never deadlock and never take a row twice', async () => {
  await createQueue(db.pool, 'race', 40_000);
  const results = await Promise.all(Array.from({ length: 8 }, () => runWorker(db.url, ['--table', 'race', '--processor', 'noop', '--batch-size', '20', '--drain'])));
  for (const r of results) assert.equal(r.code, 0, r.stderr.split('\n').filter((l) => !l.startsWith('{')).join('\n'));
  assert.deepEqual(await statusCounts(db.pool, 'race'), { 'completed/1': 40_000 });
});

test('a table without the bookkeeping columns is refused with exit 2 and the exact DDL; queue init adds them', async () => {
  await db.pool.query(`DROP TABLE IF EXISTS bare; CREATE TABLE bare (id int PRIMARY KEY, state text NOT NULL, link text);
    INSERT INTO bare SELECT g, 'todo', NULL FROM generate_series(1, 50) g`);
  const spec = { queue: { table: 'bare', statusColumn: 'state', urlColumn: 'link', statuses: { pending: 'todo', processing: 'doing', completed: 'done', failed: 'broken' } }, processor: { type: 'noop' } };
  const manifest = stressRunManifest(dir, 'bare', spec);
  const refused = await runWorker(db.url, ['--manifest', manifest, '--drain']);
  assert.equal(refused.code, 2);
  assert.match(refused.messages, /ADD COLUMN IF NOT EXISTS "attempts" integer NOT NULL DEFAULT 0;/);
  assert.match(refused.messages, /CREATE INDEX CONCURRENTLY IF NOT EXISTS "bare_bulkhead_pending" ON "public"\."bare" \("id"\) WHERE "state" = 'todo';/);
  const before = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'bare'");
  assert.equal(before.rows[0]?.n, 3, 'the worker changed nothing');

  const init = await runCli(['queue', 'init', '--manifest', manifest], { env: { DATABASE_URL: db.url } });
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /applied 6 statement/);
  // The URL from a file (a mounted Secret, say) rather than the command line; on the command line, a warning.
  const urlFile = join(dir, 'database-url');
  writeFileSync(urlFile, `${db.url}\n`);
  const again = await runCli(['queue', 'init', '--manifest', manifest, '--database-url-file', urlFile]);
  assert.match(again.stdout, /already has everything a worker needs/);
  assert.doesNotMatch(again.messages, /carries a password/);
  // A server with trust auth (PostgreSQL 15 in CI) ignores the password, so one is always there to warn about.
  const withPassword = new URL(db.url);
  withPassword.password ||= 'not-needed-here';
  const flagged = await runCli(['queue', 'init', '--manifest', manifest, '--database-url', withPassword.toString()]);
  assert.equal(flagged.code, 0, flagged.stderr);
  const warning = flagged.stderr.split('\n').find((l) => l.includes('carries a password'));
  assert.match(warning ?? '', /^\{"level":40,.*"msg":"--database-url carries a password/, 'a warning record, in the same JSON format as the rest');
  assert.ok(!flagged.stderr.includes(`:${withPassword.password}@`), 'the warning does not repeat the URL');
  const { rows: cols } = await db.pool.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'bare' ORDER BY ordinal_position");
  assert.deepEqual(cols.map((c) => c.column_name), ['id', 'state', 'link', 'attempts', 'locked_by', 'locked_at', 'last_error'], 'only the bookkeeping columns were added');

  const ran = await runWorker(db.url, ['--manifest', manifest, '--drain']);
  assert.equal(ran.code, 0, ran.stderr);
  const { rows } = await db.pool.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM bare GROUP BY 1');
  assert.deepEqual(rows, [{ state: 'done', n: 50 }]);
});

test('a missing column named by the spec, and a hostile table name, are refused with exit 2', async () => {
  const noUrl = await runWorker(db.url, ['--table', 'creatives_fresh', '--processor', 'http', '--drain']);
  assert.equal(noUrl.code, 2);
  assert.match(noUrl.messages, /spec\.queue\.urlColumn: column "url" does not exist in public\.creatives_fresh/);
  const hostile = await runWorker(db.url, ['--table', 'creatives_fresh; DROP TABLE creatives_fresh; --', '--processor', 'noop', '--drain']);
  assert.equal(hostile.code, 2);
  assert.match(hostile.messages, /table public\.creatives_fresh; DROP TABLE creatives_fresh; -- does not exist/);
  const bad = await runWorker(db.url, ['--table', 'creatives_fresh', '--processor', 'teleport']);
  assert.equal(bad.code, 2);
  assert.match(bad.messages, /spec\.processor\.type: Unsupported value/);
  assert.equal((await db.pool.query<{ ok: boolean }>("SELECT to_regclass('creatives_fresh') IS NOT NULL AS ok")).rows[0]?.ok, true);
});

test('a worker never opens more connections than connectionsPerWorker, each named bulkhead/worker/<ns>/<name>', async () => {
  await createQueue(db.pool, 'conn_queue', 3000);
  for (const perWorker of [1, 2]) {
    await db.pool.query("UPDATE conn_queue SET status = 'pending', attempts = 0");
    const manifest = stressRunManifest(dir, `conn${perWorker}`, { queue: { table: 'conn_queue', batchSize: 10 }, processor: { type: 'sleep', sleep: { minMs: 1, maxMs: 3 } }, connectionsPerWorker: perWorker });
    const watcher = new pg.Client({ connectionString: db.url });
    await watcher.connect();
    let peak = 0;
    const names = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await watcher.query<{ application_name: string }>("SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'bulkhead/worker/%'");
        peak = Math.max(peak, rows.length);
        rows.forEach((r) => names.add(r.application_name));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const result = await runWorker(db.url, ['--manifest', manifest, '--drain'], { env: { BULKHEAD_NAMESPACE: 'ns1' } });
    sampling = false;
    await sampler;
    await watcher.end();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(peak, perWorker, `peak connections with connectionsPerWorker=${perWorker}`);
    assert.deepEqual([...names], [`bulkhead/worker/ns1/conn${perWorker}`]);
  }
});

test('--timings-file records every claim and completion statement, and its lines add up to the rows finished', async () => {
  await createQueue(db.pool, 'timed', 500);
  const file = join(dir, 'timings.jsonl');
  const before = Date.now();
  const result = await runWorker(db.url, ['--table', 'timed', '--processor', 'noop', '--batch-size', '30', '--drain', '--timings-file', file]);
  assert.equal(result.code, 0, result.stderr);
  const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
  const claims = events.filter((e) => e.op === 'claim');
  const updates = events.filter((e) => e.op === 'update');
  assert.equal(claims.reduce((n, e) => n + Number(e.rows), 0), 500, 'claimed rows add up to the queue');
  assert.equal(updates.reduce((n, e) => n + Number(e.completed), 0), 500, 'completed rows add up to the queue');
  assert.ok(claims.some((e) => e.rows === 0), 'the empty claim that ended the drain is recorded too');
  for (const e of events) {
    assert.ok(Number(e.at) >= before && Number(e.at) <= Date.now(), `start time in epoch ms: ${JSON.stringify(e)}`);
    assert.ok(Number(e.ms) > 0 && Number(e.ms) < 10_000, `duration in ms: ${JSON.stringify(e)}`);
  }
});
