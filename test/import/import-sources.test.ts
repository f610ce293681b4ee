import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import pg from 'pg';
import { testDatabase } from '../harness/test-database.js';
import { importSummary, runImport } from './import-fixtures.js';
import { serveHttp } from '../harness/http-server.js';

const db = await testDatabase(import.meta.url);
await db.pool.query('CREATE TABLE pages (id int PRIMARY KEY, body text)');

const csv = 'id,body\n1,one\n2,two\n';
let lastAuthorization: string | undefined;
const { base } = await serveHttp((req, res) => {
  lastAuthorization = req.headers.authorization;
  if (req.url === '/plain.csv') res.writeHead(200, { 'content-type': 'text/csv' }).end(csv);
  else if (req.url === '/data.csv.gz') res.writeHead(200).end(gzipSync(csv));
  else if (req.url === '/hang.csv') res.writeHead(200).write('id,body\n1,');
  else if (req.url === '/slow-headers') return;
  else if (req.url === '/big.csv') {
    // 100k rows streamed in pieces, never held whole by either side.
    let i = 0;
    res.writeHead(200);
    Readable.from((function* () {
      yield 'id,body\n';
      while (i < 100_000) yield `${++i},${'x'.repeat(40)}\n`;
    })()).pipe(res);
  } else res.writeHead(404, 'Not Found').end('nope');
});

const args = ['--table', 'pages', '--key', 'id'];

test('an http source is streamed into the table', async () => {
  const result = await runImport(db.url, ['--url', `${base}/plain.csv`, ...args]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(importSummary(result).rowsInserted, 2);
});

test('a gzip body over http is recognised by its magic bytes', async () => {
  await db.pool.query('TRUNCATE pages');
  const result = await runImport(db.url, ['--url', `${base}/data.csv.gz`, ...args]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(importSummary(result).rowsInserted, 2);
});

test('a large http body streams through', async () => {
  await db.pool.query('TRUNCATE pages');
  const result = await runImport(db.url, ['--url', `${base}/big.csv`, ...args]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(importSummary(result).rowsInserted, 100_000);
});

test('a non-2xx answer is a clear error, exit 1, and credentials in the URL never show', async () => {
  const u = new URL(`${base}/missing.csv?token=s3cret-query`);
  u.username = 'user';
  u.password = 'hunter2';
  const result = await runImport(db.url, ['--url', u.toString(), ...args]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /GET http:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/missing\.csv answered 404 Not Found; expected 2xx/);
  assert.equal(lastAuthorization?.startsWith('Basic '), true, 'the credentials were still used');
  const everything = result.stdout + result.stderr;
  assert.ok(!everything.includes('hunter2') && !everything.includes('s3cret-query'), 'no credential in any output');
});

test('a stalled body or a server that never answers times out', async () => {
  const stalled = await runImport(db.url, ['--url', `${base}/hang.csv`, ...args, '--http-timeout', '1']);
  assert.equal(stalled.code, 1);
  assert.match(stalled.stderr, /the body stalled for 1s/);
  const silent = await runImport(db.url, ['--url', `${base}/slow-headers`, ...args, '--http-timeout', '1']);
  assert.equal(silent.code, 1);
  assert.match(silent.stderr, /no response within 1s/);
});

test('a database password never appears in errors or output', async () => {
  const u = new URL(db.url);
  u.password = 'wrong-password-xyz';
  u.port = '1'; // nothing listens there
  const result = await runImport(u.toString(), ['--url', `${base}/plain.csv`, ...args]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /cannot connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\//);
  assert.ok(!(result.stdout + result.stderr).includes('wrong-password-xyz'));
});

test('connections carry application_name bulkhead/import/<namespace>/<name>', async () => {
  await db.pool.query('TRUNCATE pages');
  const seen = new Set<string>();
  const watcher = new pg.Client({ connectionString: db.url });
  await watcher.connect();
  const result = await runImport(db.url, ['--url', `${base}/big.csv`, ...args, '--name', 'pages-app'], {
    env: { BULKHEAD_NAMESPACE: 'team-a' },
    onStderr: () => {
      void watcher.query<{ application_name: string }>("SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'bulkhead/%'")
        .then(({ rows }) => rows.forEach((r) => seen.add(r.application_name)), () => undefined);
    },
  });
  await watcher.end();
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual([...seen], ['bulkhead/import/team-a/pages-app']);
});
