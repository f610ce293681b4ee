import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import { importSummary, runImport, scratchDir, stagingTables, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

await db.pool.query(`
  CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(6,2), seen date);
  CREATE TABLE no_unique (id int, name text);
  INSERT INTO items VALUES (100, 'existing', 1, NULL);`);

const header = 'id,name,price,seen';
const args = ['--table', 'items', '--key', 'id'];

/** Every kind of bad row, one per line, among good ones. Line numbers count the header as line 1. */
const mixed = [
  header,
  '1,good,1.00,2024-01-01', //                line 2
  '2,too,many,fields,here', //                line 3: wrong field count
  '3,fine,2.50,', //                          line 4
  '4,bad price,abc,2024-01-01', //            line 5: not numeric
  '5,,1,2024-01-01', //                       line 6: NULL in NOT NULL name
  '6,bad date,1,2024-13-45', //               line 7: not a date
  '7,few', //                                 line 8: too few fields
].join('\n') + '\n';

test('bad rows under errors.maxRejected are left out, counted and reported with line and column', async () => {
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'mixed.csv', mixed), ...args, '--max-rejected', '5', '--name', 'under']);
  assert.equal(result.code, 0, result.stderr);
  const summary = importSummary(result);
  assert.equal(summary.rowsRead, 7);
  assert.equal(summary.rowsRejected, 5);
  assert.equal(summary.rowsInserted, 2);
  const rejects = summary.rejects as { line: number; column: string; reason: string }[];
  assert.deepEqual(rejects.map((r) => [r.line, r.column]), [[3, ''], [5, 'price'], [6, 'name'], [7, 'seen'], [8, 'price']]);
  assert.match(rejects[0]?.reason ?? '', /expected 4 fields, found 5/);
  assert.match(rejects[1]?.reason ?? '', /invalid input syntax for type numeric: "abc"/);
  assert.match(rejects[2]?.reason ?? '', /null value/);
  assert.match(rejects[3]?.reason ?? '', /date\/time field value out of range|invalid input/);
  assert.match(rejects[4]?.reason ?? '', /expected 4 fields, found 2; column "price" is missing/);
  const { rows } = await db.pool.query("SELECT line, column_name FROM bulkhead.import_rejects WHERE import = 'local/under' ORDER BY line");
  assert.equal(rows.length, 5, 'every reject is recorded in the reject table');
  const { rows: ids } = await db.pool.query('SELECT id FROM items ORDER BY id');
  assert.deepEqual(ids.map((r: { id: number }) => r.id), [1, 3, 100]);
});

test('more bad rows than errors.maxRejected is refused with exit 2 and nothing merged', async () => {
  await db.pool.query('DELETE FROM items WHERE id < 100');
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'mixed2.csv', mixed), ...args, '--max-rejected', '4', '--name', 'over']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.messages, /5 bad rows, and errors.maxRejected is 4; nothing was merged/);
  assert.match(result.messages, /mixed2\.csv:5:3 \(column "price"\): invalid input syntax for type numeric/);
  assert.match(result.messages, /mixed2\.csv:6:2 \(column "name"\): null value/);
  assert.equal(importSummary(result).phase, 'Failed');
  const { rows } = await db.pool.query('SELECT id FROM items ORDER BY id');
  assert.deepEqual(rows.map((r: { id: number }) => r.id), [100], 'the target is untouched');
  assert.deepEqual(await stagingTables(db.pool), []);
});

test('structural errors past the limit stop the COPY early with exit 2', async () => {
  const lines = [header, ...Array.from({ length: 50 }, (_, i) => `${i},x`)];
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'short.csv', lines.join('\n')), ...args]);
  assert.equal(result.code, 2);
  assert.match(result.messages, /short\.csv:2:3 \(column "price"\): expected 4 fields, found 2/);
  assert.deepEqual((await db.pool.query('SELECT id FROM items')).rows, [{ id: 100 }]);
});

test('an unterminated quote is reported at the line where its record starts', async () => {
  const csv = `${header}\n1,ok,1,\n2,"never closed,1,\n3,more,1,\n`;
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'unterminated.csv', csv), ...args]);
  assert.equal(result.code, 2);
  assert.match(result.messages, /unterminated\.csv:3:2 \(column "name"\): unterminated quoted field/);
});

test('a quoted field over the record size limit stops the import: exit 2, the file, line and column where it starts, nothing merged', async () => {
  await db.pool.query('DELETE FROM items WHERE id < 100');
  // Inside the runaway quote the text looks like rows; none of it may be imported, and the rows after it not lost
  // silently: the whole import is refused, whatever errors.maxRejected allows. The field is longer than the 1 MiB
  // pieces the file is read in, so the limit is passed while the quote is still open.
  const inside = '999,inside the quotes,1,\n'.repeat(50_000);
  const csv = `${header}\n1,ok,1,\n2,"${inside}",1,\n3,after,1,\n4,after,2,\n`;
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'runaway.csv', csv), ...args, '--max-rejected', '100', '--max-record-bytes', '1000', '--name', 'runaway']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.messages, /runaway\.csv:3:2 \(column "name"\): a quoted field starts here and has no closing quote within the record size limit, 1000 bytes; is spec\.format\.quote right\? Nothing was merged/);
  const summary = importSummary(result);
  assert.equal(summary.phase, 'Failed');
  assert.equal(summary.rowsInserted, 0);
  assert.deepEqual((await db.pool.query('SELECT id FROM items ORDER BY id')).rows, [{ id: 100 }], 'the target is untouched');
  assert.deepEqual((await db.pool.query("SELECT line FROM bulkhead.import_rejects WHERE import = 'local/runaway'")).rows, []);
  assert.deepEqual(await stagingTables(db.pool), []);
});

test('an unquoted record over the limit at the very end of the file, without a line feed, stops the import too', async () => {
  const csv = `${header}\n1,ok,1,\n2,${'x'.repeat(2000)},1,`;
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'long-last.csv', csv), ...args, '--max-rejected', '100', '--max-record-bytes', '1000']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.messages, /long-last\.csv:3: the record that starts here is longer than the record size limit, 1000 bytes; nothing was merged/);
  assert.equal(importSummary(result).phase, 'Failed');
  assert.deepEqual((await db.pool.query('SELECT id FROM items ORDER BY id')).rows, [{ id: 100 }]);
  // Under the limit, a quote still open at the end of the file is one bad row, and the rest is imported.
  const open = await runImport(db.url, ['--file', writeCsv(dir, 'open-last.csv', `${header}\n1,ok,1,\n2,"open,1,`), ...args, '--max-rejected', '1', '--max-record-bytes', '1000']);
  assert.equal(open.code, 0, open.stderr);
  const summary = importSummary(open);
  assert.deepEqual([summary.rowsRead, summary.rowsRejected, summary.rowsInserted], [2, 1, 1]);
  assert.match((summary.rejects as { reason: string }[])[0]?.reason ?? '', /unterminated quoted field: the closing quote is missing/);
});

test('bytes invalid in UTF-8 and NUL bytes are rejected with line and column, not a failed COPY', async () => {
  const csv = Buffer.concat([
    Buffer.from(`${header}\n1,ok,1,\n2,caf`), Buffer.from([0xe9]), Buffer.from(',1,\n3,nul'), Buffer.from([0]), Buffer.from('x,1,\n4,fine,2,\n'),
  ]);
  const ok = await runImport(db.url, ['--file', writeCsv(dir, 'bytes.csv', csv), ...args, '--max-rejected', '2']);
  assert.equal(ok.code, 0, ok.stderr);
  const rejects = importSummary(ok).rejects as { line: number; column: string; reason: string }[];
  assert.deepEqual(rejects.map((r) => [r.line, r.column]), [[3, 'name'], [4, 'name']]);
  assert.match(rejects[0]?.reason ?? '', /invalid in UTF8/);
  assert.match(rejects[1]?.reason ?? '', /NUL byte/);
  const bad = await runImport(db.url, ['--file', writeCsv(dir, 'bytes2.csv', csv), ...args]);
  assert.equal(bad.code, 2);
  assert.match(bad.messages, /bytes2\.csv:3:2 \(column "name"\): contains bytes that are invalid in UTF8/);
});

test('bad values after multi-line records, blank lines and rejected records are reported at their own file line', async () => {
  await db.pool.query('DELETE FROM items WHERE id < 100');
  const csv = `${header}\n1,"two\nlines",1.00,\n\n2,ok,abc,\n3,x\n4,"a\nb\nc",1,\n5,ok,1,2024-99-99\n6,last,2,\n`;
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'lines.csv', csv), ...args, '--max-rejected', '3', '--name', 'lines']);
  assert.equal(result.code, 0, result.stderr);
  const rejects = importSummary(result).rejects as { line: number; column: string; reason: string }[];
  assert.deepEqual(rejects.map((r) => [r.line, r.column]), [[5, 'price'], [6, 'price'], [10, 'seen']]);
  assert.match(rejects[0]?.reason ?? '', /invalid input syntax for type numeric: "abc"/);
  assert.deepEqual((await db.pool.query('SELECT id FROM items ORDER BY id')).rows.map((r: { id: number }) => r.id), [1, 4, 6, 100]);
  const crlf = `${header}\r\n1,"a\r\nb",1,\r\n2,x,bad,\r\n3,y,1,\r\n`;
  const r2 = await runImport(db.url, ['--file', writeCsv(dir, 'crlf.csv', crlf), ...args, '--max-rejected', '1', '--name', 'crlf']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual((importSummary(r2).rejects as { line: number; column: string }[]).map((r) => [r.line, r.column]), [[4, 'price']]);
});

test('unreadable values past errors.maxRejected stop the import with exit 2, naming the first, nothing merged', async () => {
  await db.pool.query('DELETE FROM items WHERE id < 100');
  const lines = [header, ...Array.from({ length: 5000 }, (_, i) => `${i + 1},n,${i % 2 ? 'bad' : '1'},`)];
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'many-bad.csv', lines.join('\n')), ...args, '--max-rejected', '10']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.messages, /many-bad\.csv:3:3 \(column "price"\): invalid input syntax for type numeric: "bad"/);
  assert.deepEqual((await db.pool.query('SELECT id FROM items')).rows, [{ id: 100 }]);
  assert.deepEqual(await stagingTables(db.pool), []);
});

test('an unknown table is refused with exit 2 naming it', async () => {
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'any.csv', `${header}\n1,a,1,\n`), '--table', 'nope', '--key', 'id']);
  assert.equal(result.code, 2);
  assert.match(result.messages, /spec\.target\.table: table public\.nope does not exist/);
});

test('a key column missing from the CSV, and a CSV column the target lacks, are refused by name', async () => {
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'cols.csv', 'name,price,colour\na,1,red\n'), ...args]);
  assert.equal(result.code, 2);
  assert.match(result.messages, /header column "colour": column "colour" does not exist in public\.items/);
  assert.match(result.messages, /spec\.target\.key: key column "id" is not loaded/);
});

test('source text in messages is clipped: a header holding a secret shows at most 64 bytes of it, control characters escaped', async () => {
  const secret = 'password=hunter2-'.repeat(12);
  const csv = `id,name,"${secret}","evil\nforged log line"\n1,a,x,y\n`;
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'secret-header.csv', csv), ...args, '--name', 'secret-header']);
  assert.equal(result.code, 2, result.stderr);
  const everything = result.stdout + result.stderr;
  assert.ok(!everything.includes(secret.slice(0, 65)), 'never more than 64 bytes of one header name');
  assert.match(result.messages, new RegExp(`header column "${secret.slice(0, 64)}…\\[140 more bytes\\]": column`));
  assert.match(result.messages, /header column "evil\\nforged log line"/);
  assert.ok(!everything.includes('\nforged'), 'a header name cannot start a line of its own');
  assert.match(String(importSummary(result).error), /…\[140 more bytes\]/);
});

test('a key without a primary key or unique index is refused', async () => {
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'nu.csv', 'id,name\n1,a\n'), '--table', 'no_unique', '--key', 'id']);
  assert.equal(result.code, 2);
  assert.match(result.messages, /spec\.target\.key: \(id\) is not backed by a primary key or unique index of public\.no_unique/);
});

test('identifiers that attempt SQL injection are looked up, never executed', async () => {
  const evil = 'items"; DROP TABLE items; --';
  const r1 = await runImport(db.url, ['--file', writeCsv(dir, 'evil.csv', `${header}\n1,a,1,\n`), '--table', evil, '--key', 'id']);
  assert.equal(r1.code, 2);
  assert.match(r1.messages, /does not exist/);
  const r2 = await runImport(db.url, ['--file', writeCsv(dir, 'evil2.csv', 'id,"name"")=1; DROP TABLE items; --"\n1,a\n'), ...args]);
  assert.equal(r2.code, 2);
  assert.match(r2.messages, /column "name"\)=1; DROP TABLE items; --" does not exist/);
  const r3 = await runImport(db.url, ['--file', writeCsv(dir, 'evil3.csv', `${header}\n1,a,1,\n`), '--table', 'items', '--key', 'id) DO NOTHING; DROP TABLE items; --']);
  assert.equal(r3.code, 2);
  const { rows } = await db.pool.query("SELECT to_regclass('public.items') IS NOT NULL AS still_there");
  assert.deepEqual(rows[0], { still_there: true });
});

test('an invalid manifest is refused with exit 2, naming every bad field', async () => {
  const manifest = writeCsv(dir, 'bad.yaml', `apiVersion: bulkhead.dev/v1alpha1
kind: CsvImport
metadata: { name: bad }
spec:
  source: { path: a.csv, url: "https://example.invalid/a.csv" }
  format: { delimiter: ";;", encoding: EBCDIC }
  target: { table: items, key: [] }
  merge: { strategy: replace, chunkRows: 0 }
  colour: blue
`);
  const result = await runImport(db.url, ['--manifest', manifest]);
  assert.equal(result.code, 2);
  for (const field of ['spec.colour: unknown field', 'spec.format.delimiter', 'spec.format.encoding: Unsupported value',
    'spec.target.key', 'spec.merge.strategy: Unsupported value', 'spec.merge.chunkRows']) {
    assert.ok(result.messages.includes(field), `stderr names ${field}:\n${result.messages}`);
  }
  const twoSources = writeCsv(dir, 'two.yaml', `kind: CsvImport
metadata: { name: two }
spec:
  source: { path: a.csv, url: "https://example.invalid/a.csv" }
  target: { table: items, key: [id] }
`);
  const r2 = await runImport(db.url, ['--manifest', twoSources]);
  assert.equal(r2.code, 2);
  assert.match(r2.messages, /spec\.source: Invalid value: set exactly one of url, configMap, persistentVolumeClaim and path/);
});

test('flags are validated against the same schema as manifests', async () => {
  const result = await runImport(db.url, ['--file', 'x.csv', '--table', 'items', '--key', 'id', '--chunk-rows', '-5']);
  assert.equal(result.code, 2);
  assert.match(result.messages, /command line: CsvImport spec is invalid:\n\s+spec\.merge\.chunkRows: Invalid value: must be >= 1/);
  const missing = await runImport(db.url, ['--file', 'x.csv']);
  assert.equal(missing.code, 2);
  assert.match(missing.messages, /spec\.target: Required value/);
  // The runner holds the rows it rejects while COPY runs, so errors.maxRejected bounds its memory.
  const tooMany = await runImport(db.url, ['--file', 'x.csv', ...args, '--max-rejected', '10001']);
  assert.equal(tooMany.code, 2);
  assert.match(tooMany.messages, /spec\.errors\.maxRejected: Invalid value: must be <= 10000/);
  const noRecord = await runImport(db.url, ['--file', 'x.csv', ...args, '--max-record-bytes', '0']);
  assert.equal(noRecord.code, 2);
  assert.match(noRecord.messages, /--max-record-bytes: expected a positive whole number, got "0"/);
});

test('a missing file and an empty file are refused with exit 2', async () => {
  const missing = await runImport(db.url, ['--file', `${dir}/does-not-exist.csv`, ...args]);
  assert.equal(missing.code, 2);
  assert.match(missing.messages, /does-not-exist\.csv: cannot read the CSV file \(ENOENT\)/);
  const empty = await runImport(db.url, ['--file', writeCsv(dir, 'empty.csv', ''), ...args]);
  assert.equal(empty.code, 2);
  assert.match(empty.messages, /empty\.csv:1: the file is empty; a header row is required/);
});
