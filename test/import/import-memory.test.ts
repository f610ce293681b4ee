/**
 * Memory is bounded by design for the worst shapes of input: a long field with a bad byte, a record as long as
 * records may be, a record of 100,000 fields, errors.maxRejected bad rows, a quote never closed. Each run's peak RSS is read by GNU time from
 * the kernel when the `bulkhead import` process exits, and must stay under half the pod's 512 MiB limit.
 */
import { after, test, type TestContext } from 'node:test';
import { rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import { importSummary, runImportMeasured, scratchDir, stagingTables, writeCsv, type MeasuredRun } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
// The files here add up to about 170 MB.
after(() => rmSync(dir, { recursive: true, force: true }));
await db.pool.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(6,2), seen date)');

const MiB = 1024 * 1024;
const PEAK_LIMIT = 256 * MiB;
const header = 'id,name,price,seen';
const args = ['--table', 'items', '--key', 'id'];

function assertPeakUnderLimit(t: TestContext, run: MeasuredRun): void {
  t.diagnostic(`peak RSS of bulkhead import: ${(run.peakRssBytes / MiB).toFixed(1)} MiB`);
  assert.ok(run.peakRssBytes < PEAK_LIMIT, `peak RSS ${(run.peakRssBytes / MiB).toFixed(1)} MiB, limit ${PEAK_LIMIT / MiB} MiB`);
}

async function ids(): Promise<number[]> {
  return (await db.pool.query<{ id: number }>('SELECT id FROM items ORDER BY id')).rows.map((r) => r.id);
}

test('a 40 MiB field with a NUL byte in it is one bad row, located to its column, under 256 MB', async (t) => {
  const field = Buffer.alloc(40 * MiB, 'x');
  field[20 * MiB] = 0;
  const csv = Buffer.concat([Buffer.from(`${header}\n1,ok,1,\n2,"`), field, Buffer.from('",1,\n3,after,1,\n')]);
  const run = await runImportMeasured(db.url, ['--file', writeCsv(dir, 'nul.csv', csv), ...args, '--max-rejected', '1', '--name', 'nul']);
  assert.equal(run.code, 0, run.stderr);
  const summary = importSummary(run);
  assert.deepEqual((summary.rejects as { line: number; column: string; reason: string }[]).map((r) => [r.line, r.column, r.reason]),
    [[3, 'name', 'contains a NUL byte (0x00), which PostgreSQL text cannot hold']]);
  const { rows } = await db.pool.query<{ length: number }>("SELECT length(value) FROM bulkhead.import_rejects WHERE import = 'local/nul'");
  assert.deepEqual(rows, [{ length: 201 }], 'the reject table keeps the first 200 characters of the record, and a mark');
  assert.deepEqual(await ids(), [1, 3]);
  assertPeakUnderLimit(t, run);
});

test('a good record just under the 64 MiB limit is imported, sent to COPY without another copy of it, under 256 MB', async (t) => {
  await db.pool.query('TRUNCATE items');
  const csv = Buffer.concat([Buffer.from(`${header}\n1,ok,1,\n2,"`), Buffer.alloc(63 * MiB, 'y'), Buffer.from('",1,\n3,after,1,\n')]);
  const run = await runImportMeasured(db.url, ['--file', writeCsv(dir, 'big.csv', csv), ...args]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(importSummary(run).rowsInserted, 3);
  const { rows } = await db.pool.query<{ length: number }>('SELECT length(name) FROM items WHERE id = 2');
  assert.deepEqual(rows, [{ length: 63 * MiB }]);
  assertPeakUnderLimit(t, run);
});

test('a header of 100,000 columns is refused, and a record of 100,000 fields rejected, each under 256 MB', async (t) => {
  await db.pool.query('TRUNCATE items');
  const columns = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',');
  const wideHeader = await runImportMeasured(db.url, ['--file', writeCsv(dir, 'wide-header.csv', `id,${columns}\n1,a\n`), ...args]);
  assert.equal(wideHeader.code, 2, wideHeader.stderr);
  assert.match(wideHeader.messages, /wide-header\.csv:1 header column "c0": column "c0" does not exist in public\.items/);
  assert.match(wideHeader.messages, /… and 99981 more problems/);
  assert.ok(wideHeader.stderr.length < 16 * 1024, `the message lists the first problems, not all of them: ${wideHeader.stderr.length} characters`);
  importSummary(wideHeader);
  assertPeakUnderLimit(t, wideHeader);

  const wideRecord = await runImportMeasured(db.url, ['--file', writeCsv(dir, 'wide-record.csv', `${header}\n1,ok,1,\n2,${columns}\n3,ok,1,\n`), ...args, '--max-rejected', '1']);
  assert.equal(wideRecord.code, 0, wideRecord.stderr);
  const summary = importSummary(wideRecord);
  assert.deepEqual((summary.rejects as { line: number; reason: string }[]).map((r) => [r.line, r.reason]), [[3, 'expected 4 fields, found 100001']]);
  assert.deepEqual(await ids(), [1, 3]);
  assertPeakUnderLimit(t, wideRecord);
});

test('10,000 rejected rows, errors.maxRejected at its maximum, are all recorded, under 256 MB', async (t) => {
  await db.pool.query('TRUNCATE items');
  // Framing rejects are held with 200 characters of their record, here 4-byte characters; values the type cannot
  // read are rejected by COPY itself on PostgreSQL 17+ (held with the value its NOTICE quotes) or found in SQL.
  const long = '😀'.repeat(300);
  const lines = [header, '1,ok,1,'];
  for (let i = 0; i < 5000; i++) lines.push(`${10 + i},${long},1,,extra`, `${10_000 + i},ok,bad${'é'.repeat(100)},`);
  lines.push('2,ok,1,');
  const run = await runImportMeasured(db.url, ['--file', writeCsv(dir, 'rejects.csv', `${lines.join('\n')}\n`), ...args, '--max-rejected', '10000', '--name', 'rejects']);
  assert.equal(run.code, 0, run.stderr);
  const summary = importSummary(run);
  assert.deepEqual([summary.rowsRead, summary.rowsRejected, summary.rowsInserted], [10_002, 10_000, 2]);
  const { rows } = await db.pool.query<{ n: string }>("SELECT count(DISTINCT line) AS n FROM bulkhead.import_rejects WHERE import = 'local/rejects'");
  assert.equal(Number(rows[0]?.n), 10_000);
  assert.deepEqual(await ids(), [1, 2]);
  assertPeakUnderLimit(t, run);
});

test('a quote never closed within the default 64 MiB record limit stops the import: exit 2, where it starts, nothing merged', async (t) => {
  await db.pool.query("TRUNCATE items; INSERT INTO items VALUES (100, 'existing', 1, NULL)");
  // What follows the stray quote looks like rows; before the limit was fatal, some of it was imported as rows and
  // the import succeeded.
  const block = Buffer.from('999,inside the quotes,1,\n'.repeat(40_000));
  const inside = Buffer.concat(Array.from({ length: Math.ceil((65 * MiB) / block.length) }, () => block));
  const csv = Buffer.concat([Buffer.from(`${header}\n1,ok,1,\n2,"`), inside, Buffer.from('",1,\n3,after,1,\n')]);
  const run = await runImportMeasured(db.url, ['--file', writeCsv(dir, 'runaway.csv', csv), ...args, '--max-rejected', '100', '--name', 'runaway']);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.messages, /runaway\.csv:3:2 \(column "name"\): a quoted field starts here and has no closing quote within the record size limit, 64 MiB/);
  assert.equal(importSummary(run).phase, 'Failed');
  assert.deepEqual(await ids(), [100], 'the target is untouched');
  assert.deepEqual(await stagingTables(db.pool), []);
  assertPeakUnderLimit(t, run);
});
