import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import { importSummary, runImport, stagingTables } from './import-fixtures.js';
import { serveHttp } from '../harness/http-server.js';

const db = await testDatabase(import.meta.url);
await db.pool.query('CREATE TABLE hops (id int PRIMARY KEY, body text)');

const SECRET = 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const redirects: Record<string, string> = {
  '/to-metadata': 'http://169.254.169.254/latest/meta-data/iam/security-credentials/?token=s3cret',
  '/to-metadata-by-number': 'http://2852039166/latest/',
  '/to-mapped-v6': 'http://[::ffff:169.254.169.254]/latest/',
  '/to-link-local-v6': 'http://[fe80::1]/latest/',
  '/to-file': 'file:///etc/passwd',
  '/to-ftp': 'ftp://127.0.0.1/data.csv',
};
let requests = 0;
const authorizations: Record<string, string | undefined> = {};
const { port, base } = await serveHttp((req, res) => {
  requests++;
  const path = req.url ?? '';
  authorizations[path] = req.headers.authorization;
  const hop = /^\/hop\/(\d+)$/.exec(path);
  const target = redirects[path];
  if (path === '/plain.csv') res.writeHead(200).end('id,body\n1,one\n2,two\n');
  else if (hop) res.writeHead(302, { location: Number(hop[1]) > 0 ? `/hop/${Number(hop[1]) - 1}` : '/plain.csv' }).end(SECRET);
  else if (target) res.writeHead(302, { location: target }).end(SECRET);
  else if (path === '/to-other-origin') res.writeHead(307, { location: `http://localhost:${port}/plain.csv` }).end();
  // A reason phrase and a body that quote a secret, as an internal endpoint's error page might.
  else if (path === '/forbidden') res.writeHead(403, SECRET, { 'content-type': 'text/plain' }).end(`${SECRET}\n`.repeat(100));
  else res.writeHead(404).end();
});

const args = ['--table', 'hops', '--key', 'id'];

test('up to 5 redirects are followed; a sixth is refused with exit 2', async () => {
  const five = await runImport(db.url, ['--url', `${base}/hop/4`, ...args]);
  assert.equal(five.code, 0, five.stderr);
  assert.equal(importSummary(five).rowsInserted, 2);
  requests = 0;
  const six = await runImport(db.url, ['--url', `${base}/hop/5`, ...args]);
  assert.equal(six.code, 2, six.stderr);
  assert.match(six.stderr, /GET http:\/\/127\.0\.0\.1:\d+\/hop\/5 refused: more than 5 redirects/);
  assert.equal(requests, 6, 'the sixth redirect was not followed');
  assert.deepEqual(await stagingTables(db.pool), []);
});

test('a redirect to a link-local address is refused before connecting, however the address is written', async () => {
  for (const [path, shown] of [['/to-metadata', '169.254.169.254'], ['/to-metadata-by-number', '169.254.169.254'], ['/to-mapped-v6', '::ffff:a9fe:a9fe'], ['/to-link-local-v6', 'fe80::1']] as const) {
    const started = performance.now();
    const result = await runImport(db.url, ['--url', `${base}${path}`, ...args]);
    assert.equal(result.code, 2, `${path}: ${result.stderr}`);
    // Refused by the check, not by a failed connection (which would name ECONNREFUSED, ENETUNREACH or a timeout).
    assert.match(result.stderr, new RegExp(`refused: a redirect to http://[^ ]+: ${shown.replace(/[.[\]]/g, '\\$&')} is a link-local address`), path);
    assert.ok(performance.now() - started < 10_000, `${path}: refused at once`);
    const everything = result.stdout + result.stderr;
    assert.ok(!everything.includes('s3cret') && !everything.includes('wJalrXUtnFEMI'), `${path}: neither the query string nor the redirect's body is shown`);
  }
});

test('a URL that is itself link-local is refused before connecting', async () => {
  const result = await runImport(db.url, ['--url', 'http://169.254.169.254/latest/meta-data/', ...args]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /refused: the URL to http:\/\/169\.254\.169\.254\/latest\/meta-data\/: 169\.254\.169\.254 is a link-local address/);
});

test('a redirect to a scheme other than http(s) is refused', async () => {
  const file = await runImport(db.url, ['--url', `${base}/to-file`, ...args]);
  assert.equal(file.code, 2, file.stderr);
  assert.match(file.stderr, /refused: a redirect to file:\/\/\/etc\/passwd: only http and https are followed/);
  const ftp = await runImport(db.url, ['--url', `${base}/to-ftp`, ...args]);
  assert.equal(ftp.code, 2, ftp.stderr);
  assert.match(ftp.stderr, /refused: a redirect to ftp:\/\/127\.0\.0\.1\/data\.csv: only http and https are followed/);
});

test('a failed answer shows its status code alone: neither its body nor its reason text reaches any output', async () => {
  const result = await runImport(db.url, ['--url', `${base}/forbidden`, ...args]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /GET http:\/\/127\.0\.0\.1:\d+\/forbidden answered 403 Forbidden; expected 2xx/);
  assert.equal(importSummary(result).error, `GET ${base}/forbidden answered 403 Forbidden; expected 2xx`);
  const everything = result.stdout + result.stderr;
  assert.ok(!everything.includes('aws_secret_access_key') && !everything.includes('wJalrXUtnFEMI'), 'the secret is nowhere');
});

test('credentials in the URL go to its own origin only, not to where it redirects', async () => {
  await db.pool.query('TRUNCATE hops');
  const own = await runImport(db.url, ['--url', `http://user:hunter2@127.0.0.1:${port}/hop/0`, ...args]);
  assert.equal(own.code, 0, own.stderr);
  assert.equal(authorizations['/plain.csv'], `Basic ${Buffer.from('user:hunter2').toString('base64')}`, 'a same-origin redirect keeps them');
  const other = await runImport(db.url, ['--url', `http://user:hunter2@127.0.0.1:${port}/to-other-origin`, ...args]);
  assert.equal(other.code, 0, other.stderr);
  assert.equal(authorizations['/to-other-origin']?.startsWith('Basic '), true);
  assert.equal(authorizations['/plain.csv'], undefined, 'localhost is another origin: no credentials');
});
