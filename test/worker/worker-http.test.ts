import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import { freePort } from '../../runners/shared/embedded-postgres.js';
import { scratchDir } from '../import/import-fixtures.js';
import { createQueue, runWorker, stressRunManifest } from './worker-fixtures.js';
import { serveHttp } from '../harness/http-server.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

const SECRET = 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
let inFlight = 0;
let peakInFlight = 0;
const { base } = await serveHttp((req, res) => {
  inFlight++;
  peakInFlight = Math.max(peakInFlight, inFlight);
  res.on('close', () => inFlight--);
  const path = req.url ?? '';
  if (path.startsWith('/ok')) setTimeout(() => res.writeHead(200).end('hello'), 20);
  else if (path.startsWith('/missing')) res.writeHead(404, 'Not Found').end();
  else if (path.startsWith('/boom')) res.writeHead(500, 'Internal Server Error').end();
  else if (path.startsWith('/to-metadata')) res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
  else if (path.startsWith('/to-file')) res.writeHead(301, { location: 'file:///etc/passwd' }).end();
  else if (path.startsWith('/loop')) res.writeHead(307, { location: path }).end();
  else if (path.startsWith('/moved')) res.writeHead(308, { location: '/ok/after-redirect' }).end();
  else if (path.startsWith('/forbidden')) res.writeHead(403, SECRET).end(SECRET);
  // /hang never answers
});

test('the http processor completes 2xx, fails 4xx at once, retries 5xx and timeouts up to maxAttempts, within its concurrency', async () => {
  const kinds = ['ok', 'missing', 'boom', 'hang'];
  await createQueue(db.pool, 'q_http', 40, (i) => `${base}/${kinds[(i - 1) % 4]}/${i}`);
  const manifest = stressRunManifest(dir, 'http', {
    queue: { table: 'q_http', urlColumn: 'creative_url', batchSize: 8, maxAttempts: 2 },
    processor: { type: 'http', http: { timeoutSeconds: 0.3, concurrency: 3 } },
  });
  const port = await freePort();
  let metrics = '';
  const result = await runWorker(db.url, ['--manifest', manifest, '--drain', '--metrics-port', String(port)], {
    onStderr: (text) => {
      if (metrics === '' && text.includes('"completed":10')) {
        metrics = 'pending';
        void fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).then((t) => (metrics = t), () => undefined);
      }
    },
  });
  assert.equal(result.code, 0, result.stderr);
  const { rows } = await db.pool.query<{ kind: string; status: string; attempts: number; last_error: string | null; code: number | null; n: number }>(`
    SELECT split_part(creative_url, '/', 4) AS kind, status, attempts, last_error, (result->>'status')::int AS code, count(*)::int AS n
    FROM q_http GROUP BY 1, 2, 3, 4, 5 ORDER BY 1`);
  assert.deepEqual(rows, [
    { kind: 'boom', status: 'failed', attempts: 2, last_error: 'HTTP 500 Internal Server Error', code: 500, n: 10 },
    { kind: 'hang', status: 'failed', attempts: 2, last_error: 'timed out after 0.3s', code: null, n: 10 },
    { kind: 'missing', status: 'failed', attempts: 1, last_error: 'HTTP 404 Not Found', code: 404, n: 10 },
    { kind: 'ok', status: 'completed', attempts: 1, last_error: null, code: 200, n: 10 },
  ]);
  const { rows: ok } = await db.pool.query<{ bytes: number }>("SELECT (result->>'bytes')::int AS bytes FROM q_http WHERE status = 'completed' LIMIT 1");
  assert.equal(ok[0]?.bytes, 5);
  assert.ok(peakInFlight <= 3, `at most 3 requests at once, saw ${peakInFlight}`);
  assert.match(metrics, /^bulkhead_worker_items_total\{result="completed"\} \d+$/m);
  assert.match(metrics, /^bulkhead_worker_claim_duration_seconds_bucket\{le="0.005"\} \d+$/m);
  assert.match(metrics, /^bulkhead_worker_update_duration_seconds_count \d+$/m);
  assert.match(metrics, /^bulkhead_worker_in_flight \d+$/m);
});

test('the http processor follows the import\'s redirect rules: link-local, non-http(s) and a sixth redirect fail for good', async () => {
  const kinds = ['to-metadata', 'to-file', 'loop', 'moved', 'forbidden'];
  await createQueue(db.pool, 'q_redirects', 10, (i) => `${base}/${kinds[(i - 1) % 5]}/${i}`);
  const manifest = stressRunManifest(dir, 'redirects', {
    queue: { table: 'q_redirects', urlColumn: 'creative_url', batchSize: 10, maxAttempts: 3 },
    processor: { type: 'http', http: { timeoutSeconds: 5, concurrency: 4 } },
  });
  const result = await runWorker(db.url, ['--manifest', manifest, '--drain']);
  assert.equal(result.code, 0, result.stderr);
  const { rows } = await db.pool.query<{ kind: string; status: string; attempts: number; last_error: string | null; n: number }>(`
    SELECT split_part(creative_url, '/', 4) AS kind, status, attempts, regexp_replace(last_error, ':[0-9]+/', ':PORT/', 'g') AS last_error, count(*)::int AS n
    FROM q_redirects GROUP BY 1, 2, 3, 4 ORDER BY 1`);
  assert.deepEqual(rows, [
    { kind: 'forbidden', status: 'failed', attempts: 1, last_error: 'HTTP 403 Forbidden', n: 2 },
    { kind: 'loop', status: 'failed', attempts: 1, last_error: 'refused: more than 5 redirects', n: 2 },
    { kind: 'moved', status: 'completed', attempts: 1, last_error: null, n: 2 },
    { kind: 'to-file', status: 'failed', attempts: 1, last_error: 'refused: a redirect to file:///etc/passwd: only http and https are followed', n: 2 },
    { kind: 'to-metadata', status: 'failed', attempts: 1, last_error: 'refused: a redirect to http://169.254.169.254/latest/meta-data/: 169.254.169.254 is a link-local address', n: 2 },
  ]);
  const { rows: leaks } = await db.pool.query("SELECT * FROM q_redirects WHERE q_redirects::text LIKE '%wJalrXUtnFEMI%'");
  assert.deepEqual(leaks, [], 'neither the reason text nor the body of a failed answer is stored');
});
