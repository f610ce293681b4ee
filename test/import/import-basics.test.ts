import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { testDatabase } from '../harness/test-database.js';
import { csvImportManifest, importSummary, rowsOf, runImport, scratchDir, stagingTables, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

await db.pool.query(`
  CREATE TYPE mood AS ENUM ('happy', 'sad');
  CREATE TABLE every_type (
    id int PRIMARY KEY, small smallint, big bigint, num numeric(8,3), dbl double precision, flag boolean,
    day date, ts timestamptz, tod time, span interval, uid uuid, doc jsonb, raw json, tags text[], addr inet,
    name varchar(10), code char(3), feeling mood, blob bytea, note text);
  CREATE TABLE advertisers (
    advertiser_id bigint PRIMARY KEY, advertiser_name text NOT NULL, advertiser_name_normalized text,
    country char(2), updated_at timestamptz);
  CREATE INDEX ON advertisers (advertiser_name);
  CREATE INDEX ON advertisers (advertiser_name_normalized);
  CREATE INDEX ON advertisers (country);`);

test('a clean import covers every column type and lands exact values', async () => {
  const csv = [
    'id,small,big,num,dbl,flag,day,ts,tod,span,uid,doc,raw,tags,addr,name,code,feeling,blob,note',
    '1,-32768,9223372036854775807,12345.678,1.5e300,true,2024-02-29,2024-01-01T10:00:00Z,23:59:59,1 day 2 hours,' +
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,"{""a"": [1, 2]}","{""b"" : 1}","{x,""y z""}",10.0.0.1,ten chars!,abc,happy,\\xdeadbeef,plain',
    '2,,,,,,,,,,,,,,,,,,,',
  ].join('\n');
  const file = writeCsv(dir, 'types.csv', csv);
  const result = await runImport(db.url, ['--file', file, '--table', 'every_type', '--key', 'id']);
  assert.equal(result.code, 0, result.stderr);
  const summary = importSummary(result);
  assert.equal(summary.phase, 'Succeeded');
  assert.equal(summary.rowsRead, 2);
  assert.equal(summary.rowsInserted, 2);
  const { rows } = await db.pool.query(`SELECT small, big::text, num::text, dbl, flag, day::text, ts = '2024-01-01 10:00:00+00' AS ts_ok,
    tod::text, span::text, uid::text, doc, raw::text, tags, host(addr), name, code, feeling::text, encode(blob, 'hex') AS blob, note
    FROM every_type ORDER BY id`);
  assert.deepEqual(rows[0], {
    small: -32768, big: '9223372036854775807', num: '12345.678', dbl: 1.5e300, flag: true, day: '2024-02-29', ts_ok: true,
    tod: '23:59:59', span: '1 day 02:00:00', uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', doc: { a: [1, 2] }, raw: '{"b" : 1}',
    tags: ['x', 'y z'], host: '10.0.0.1', name: 'ten chars!', code: 'abc', feeling: 'happy', blob: 'deadbeef', note: 'plain',
  });
  assert.ok(Object.entries(rows[1] as object).every(([k, v]) => v === null || k === 'ts_ok'), 'empty unquoted fields are NULL');
  assert.deepEqual(await stagingTables(db.pool), [], 'staging is dropped after success');
});

const advertisersCsv = (rows: [number, string, string][]): string =>
  ['advertiser_id,advertiser_name,country', ...rows.map(([id, name, c]) => `${id},${name},${c}`)].join('\n') + '\n';

test('a rerun of the same file leaves every row unchanged; changed and new rows are counted exactly', async () => {
  const args = ['--table', 'advertisers', '--key', 'advertiser_id', '--name', 'rerun'];
  const initial: [number, string, string][] = Array.from({ length: 1000 }, (_, i) => [i + 1, `Advertiser ${i + 1}`, i % 2 ? 'US' : 'DE']);
  await db.pool.query('TRUNCATE advertisers');
  const first = await runImport(db.url, ['--file', writeCsv(dir, 'adv1.csv', advertisersCsv(initial)), ...args, '--chunk-rows', '128']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(importSummary(first).rowsInserted, 1000);
  assert.equal(importSummary(first).fastPath, true, 'an empty target takes the fast path');

  const again = await runImport(db.url, ['--file', writeCsv(dir, 'adv1b.csv', advertisersCsv(initial)), ...args, '--chunk-rows', '128']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(pick(importSummary(again)), { rowsRead: 1000, rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 1000, duplicateKeys: 0, fastPath: false });

  // 100 changed names, 50 new rows; the rest identical.
  const next = initial.map(([id, name, c]): [number, string, string] => (id <= 100 ? [id, `${name} renamed`, c] : [id, name, c]));
  for (let i = 1001; i <= 1050; i++) next.push([i, `Advertiser ${i}`, 'FR']);
  const third = await runImport(db.url, ['--file', writeCsv(dir, 'adv2.csv', advertisersCsv(next)), ...args, '--chunk-rows', '100']);
  assert.equal(third.code, 0, third.stderr);
  assert.deepEqual(pick(importSummary(third)), { rowsRead: 1050, rowsInserted: 50, rowsUpdated: 100, rowsUnchanged: 900, duplicateKeys: 0, fastPath: false });
  const { rows } = await db.pool.query("SELECT count(*)::int AS n, count(*) FILTER (WHERE advertiser_name LIKE '% renamed')::int AS renamed FROM advertisers");
  assert.deepEqual(rows[0], { n: 1050, renamed: 100 });
});

function pick(s: Record<string, unknown>): Record<string, unknown> {
  const { rowsRead, rowsInserted, rowsUpdated, rowsUnchanged, duplicateKeys, fastPath } = s;
  return { rowsRead, rowsInserted, rowsUpdated, rowsUnchanged, duplicateKeys, fastPath };
}

test('a key repeated in the file: the last occurrence wins and the others count as duplicateKeys', async () => {
  await db.pool.query('TRUNCATE advertisers');
  await db.pool.query("INSERT INTO advertisers VALUES (7, 'old', NULL, 'US')");
  const csv = advertisersCsv([[5, 'first', 'US'], [7, 'seven-a', 'US'], [5, 'second', 'DE'], [7, 'seven-b', 'FR'], [5, 'third', 'GB']]);
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'dups.csv', csv), '--table', 'advertisers', '--key', 'advertiser_id']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(pick(importSummary(result)), { rowsRead: 5, rowsInserted: 1, rowsUpdated: 1, rowsUnchanged: 0, duplicateKeys: 3, fastPath: false });
  assert.deepEqual(await rowsOf(db.pool, 'advertisers', 'advertiser_id').then((r) => r.map((x) => [x.advertiser_id, x.advertiser_name, x.country])),
    [['5', 'third', 'GB'], ['7', 'seven-b', 'FR']]);
});

test('quoting, embedded newlines, unicode, a BOM and CRLF line endings all load as written', async () => {
  await db.pool.query('TRUNCATE advertisers');
  const csv = '\uFEFFadvertiser_id,advertiser_name,country\r\n' +
    '1,"Comma, Inc",US\r\n' +
    '2,"Say ""hi""",US\r\n' +
    '3,"Line one\r\nLine two\nLine three",US\r\n' +
    '4,Zürich Ünïcødé 東京 🚀,CH\r\n' +
    '5,"",US\r\n';
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'quoting.csv', csv), '--table', 'advertisers', '--key', 'advertiser_id']);
  assert.equal(result.code, 0, result.stderr);
  const names = (await rowsOf(db.pool, 'advertisers', 'advertiser_id')).map((r) => r.advertiser_name);
  assert.deepEqual(names, ['Comma, Inc', 'Say "hi"', 'Line one\r\nLine two\nLine three', 'Zürich Ünïcødé 東京 🚀', '']);
});

test('a gzip file is recognised by its magic bytes, whatever its name', async () => {
  await db.pool.query('TRUNCATE advertisers');
  const file = writeCsv(dir, 'compressed.csv', gzipSync(advertisersCsv([[1, 'gz one', 'US'], [2, 'gz two', 'DE']])));
  const result = await runImport(db.url, ['--file', file, '--table', 'advertisers', '--key', 'advertiser_id']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(importSummary(result).rowsInserted, 2);
});

test('standard input works as a source with --file -', async () => {
  await db.pool.query('TRUNCATE advertisers');
  const result = await runImport(db.url, ['--file', '-', '--table', 'advertisers', '--key', 'advertiser_id'],
    { stdin: advertisersCsv([[1, 'from stdin', 'US']]) });
  assert.equal(result.code, 0, result.stderr);
  assert.equal((await rowsOf(db.pool, 'advertisers', 'advertiser_id'))[0]?.advertiser_name, 'from stdin');
});

test('a LATIN1 file with a custom delimiter, quote and null string is decoded as LATIN1', async () => {
  await db.pool.query('TRUNCATE advertisers');
  const text = "advertiser_id;advertiser_name;country\n1;'Caf\xe9; Cr\xe8me';FR\n2;M\xfcller;NULL\n";
  const manifest = csvImportManifest(dir, 'latin1', {
    source: { path: writeCsv(dir, 'latin1.csv', Buffer.from(text, 'latin1')) },
    format: { delimiter: ';', quote: "'", nullString: 'NULL', encoding: 'LATIN1' },
    target: { table: 'advertisers', key: ['advertiser_id'] },
  });
  const result = await runImport(db.url, ['--manifest', manifest]);
  assert.equal(result.code, 0, result.stderr);
  const rows = await rowsOf(db.pool, 'advertisers', 'advertiser_id');
  assert.deepEqual(rows.map((r) => [r.advertiser_name, r.country]), [['Café; Crème', 'FR'], ['Müller', null]]);
});

test('columns map CSV headers to target columns, and transforms are computed in SQL', async () => {
  await db.pool.query('TRUNCATE advertisers');
  const csv = 'ID,Name,Land,ignored\n1,"  ACME\u00a0  Corp  ",us,x\n2,Ｆｕｌｌｗｉｄｔｈ,,y\n';
  const manifest = csvImportManifest(dir, 'mapped', {
    source: { path: writeCsv(dir, 'mapped.csv', csv) },
    target: {
      table: 'public.advertisers',
      key: ['advertiser_id'],
      columns: { advertiser_id: 'ID', advertiser_name: 'Name' },
      transforms: { advertiser_name_normalized: { normalize: 'Name' }, country: { upper: 'Land' } },
    },
  });
  const result = await runImport(db.url, ['--manifest', manifest]);
  assert.equal(result.code, 0, result.stderr);
  const rows = await rowsOf(db.pool, 'advertisers', 'advertiser_id');
  assert.deepEqual(rows.map((r) => [r.advertiser_name, r.advertiser_name_normalized, r.country]),
    [['  ACME\u00a0  Corp  ', 'acme corp', 'US'], ['Ｆｕｌｌｗｉｄｔｈ', 'fullwidth', null]]);
});

test('an insertOnly import leaves existing rows alone and counts them unchanged', async () => {
  await db.pool.query('TRUNCATE advertisers');
  await db.pool.query("INSERT INTO advertisers VALUES (1, 'keep me', NULL, 'US')");
  const manifest = csvImportManifest(dir, 'insert-only', {
    source: { path: writeCsv(dir, 'io.csv', advertisersCsv([[1, 'replace me?', 'DE'], [2, 'new', 'DE']])) },
    target: { table: 'advertisers', key: ['advertiser_id'] },
    merge: { strategy: 'insertOnly' },
  });
  const result = await runImport(db.url, ['--manifest', manifest]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(pick(importSummary(result)), { rowsRead: 2, rowsInserted: 1, rowsUpdated: 0, rowsUnchanged: 1, duplicateKeys: 0, fastPath: false });
  assert.equal((await rowsOf(db.pool, 'advertisers', 'advertiser_id'))[0]?.advertiser_name, 'keep me');
});

test('the spec can come from BULKHEAD_SPEC as the operator passes it, and --file replaces a manifest\'s source', async () => {
  await db.pool.query('TRUNCATE advertisers');
  const file = writeCsv(dir, 'env.csv', advertisersCsv([[1, 'from env', 'US']]));
  const spec = { source: { path: file }, target: { table: 'advertisers', key: ['advertiser_id'] } };
  const fromEnv = await runImport(db.url, [], { env: { BULKHEAD_SPEC: JSON.stringify(spec), BULKHEAD_NAME: 'env-import', BULKHEAD_NAMESPACE: 'prod' } });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.match(fromEnv.stderr, /"import":"prod\/env-import"/);
  const badEnv = await runImport(db.url, [], { env: { BULKHEAD_SPEC: '{"source": {"path": 1}}' } });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /BULKHEAD_SPEC: CsvImport spec is invalid/);

  const manifest = csvImportManifest(dir, 'override', { source: { url: 'http://127.0.0.1:1/never-fetched.csv' }, target: { table: 'advertisers', key: ['advertiser_id'] } });
  const overridden = await runImport(db.url, ['--manifest', manifest, '--file', writeCsv(dir, 'override.csv', advertisersCsv([[2, 'from --file', 'DE']]))]);
  assert.equal(overridden.code, 0, overridden.stderr);
  assert.deepEqual((await rowsOf(db.pool, 'advertisers', 'advertiser_id')).map((r) => r.advertiser_name), ['from env', 'from --file']);
});
