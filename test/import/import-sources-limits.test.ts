import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { testDatabase } from '../harness/test-database.js';
import { importSummary, csvImportManifest, runImport, scratchDir, stagingTables } from './import-fixtures.js';
import { serveHttp } from '../harness/http-server.js';

const db = await testDatabase(import.meta.url);
await db.pool.query('CREATE TABLE drops (id int PRIMARY KEY, body text)');
const dir = scratchDir();

// 2 MB of CSV that gzip packs into a few kB: small on the wire, large in staging.
const bomb = gzipSync(`id,body\n${Array.from({ length: 40_000 }, (_, i) => `${i + 1},${'z'.repeat(44)}\n`).join('')}`);
const drips = new Set<ServerResponse>();
const { base } = await serveHttp((req, res) => {
  if (req.url?.startsWith('/drip.csv')) {
    // A row every 200 ms, forever: the stall timeout never fires, since bytes keep coming.
    res.writeHead(200).write('id,body\n');
    drips.add(res);
    let id = 0;
    const timer = setInterval(() => res.write(`${++id},drop number ${id}\n`), 200);
    res.on('close', () => {
      clearInterval(timer);
      drips.delete(res);
    });
  } else if (req.url === '/bomb.csv.gz') res.writeHead(200).end(bomb);
  else res.writeHead(404).end();
});

const args = ['--table', 'drops', '--key', 'id'];

async function assertNothingLeft(): Promise<void> {
  assert.equal((await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM drops')).rows[0]?.n, 0, 'nothing was merged');
  assert.deepEqual(await stagingTables(db.pool), [], 'staging was dropped');
}

test('a source that trickles forever is stopped by source.deadlineSeconds: exit 1, nothing merged, staging dropped', async () => {
  const started = performance.now();
  const result = await runImport(db.url, ['--url', `${base}/drip.csv?token=s3cret`, ...args, '--source-deadline', '2']);
  const seconds = (performance.now() - started) / 1000;
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /http:\/\/127\.0\.0\.1:\d+\/drip\.csv: not read to the end within 2s \(source\.deadlineSeconds, --source-deadline\); stopped after reading \d+ bytes, and nothing was merged/);
  assert.match(String(importSummary(result).error), /not read to the end within 2s/);
  assert.ok(Number(/after reading (\d+) bytes/.exec(result.stderr)?.[1]) > 8, 'some rows had arrived');
  assert.ok(!(result.stdout + result.stderr).includes('s3cret'), 'the query string is never shown');
  assert.ok(seconds < 10, `stopped soon after the deadline, took ${seconds.toFixed(1)}s`);
  await assertNothingLeft();
  await waitFor(() => drips.size === 0, 'the connection to the source was closed');
});

test('a source past source.maxBytes is stopped: exit 2, nothing merged, staging dropped', async () => {
  const result = await runImport(db.url, ['--url', `${base}/drip.csv`, ...args, '--max-bytes', '64']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /http:\/\/127\.0\.0\.1:\d+\/drip\.csv: more than 64 bytes \(source\.maxBytes, --max-bytes\); stopped after reading \d+ bytes, and nothing was merged/);
  await assertNothingLeft();
  await waitFor(() => drips.size === 0, 'the connection to the source was closed');
});

test('maxBytes counts the CSV after gunzip, and a manifest\'s limits hold when --url replaces its source', async () => {
  assert.ok(bomb.length < 200_000, 'far below the limit on the wire');
  const manifest = csvImportManifest(dir, 'bomb', { source: { path: 'ignored.csv', maxBytes: 1_000_000 }, target: { table: 'drops', key: ['id'] } });
  const result = await runImport(db.url, ['--manifest', manifest, '--url', `${base}/bomb.csv.gz`]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /bomb\.csv\.gz: more than 1000000 bytes \(source\.maxBytes, --max-bytes\)/);
  await assertNothingLeft();
  const roomy = await runImport(db.url, ['--manifest', manifest, '--url', `${base}/bomb.csv.gz`, '--max-bytes', '3000000']);
  assert.equal(roomy.code, 0, roomy.stderr);
  assert.equal(importSummary(roomy).rowsInserted, 40_000);
});

test('the limits bound a file too, and the CRD schema bounds the flags', async () => {
  const result = await runImport(db.url, ['--file', '-', ...args, '--max-bytes', '10'], { stdin: 'id,body\n1,one\n2,two\n' });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /stdin: more than 10 bytes/);
  const zero = await runImport(db.url, ['--file', '-', ...args, '--source-deadline', '0'], { stdin: 'id,body\n' });
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /spec\.source\.deadlineSeconds/);
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 50 && !condition(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(condition(), what);
}
