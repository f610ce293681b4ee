/** The summary line on every exit path, and its bound: Kubernetes keeps 4096 bytes of a termination message. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testDatabase } from '../harness/test-database.js';
import type { CliResult } from '../harness/run-cli.js';
import { freePort } from '../../runners/shared/embedded-postgres.js';
import { importSummary, runImport, scratchDir, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
await db.pool.query('CREATE TABLE items (id int PRIMARY KEY, name text)');

/** The summary line, checked to fit a termination message with its newline. */
function boundedSummary(result: CliResult): Record<string, unknown> {
  const line = result.stdout.split('\n').find((l) => l.includes('"event":"summary"')) ?? '';
  assert.ok(Buffer.byteLength(`${line}\n`) <= 4096, `the summary line is ${Buffer.byteLength(line)} bytes`);
  return importSummary(result);
}

test('a 20,000-column header is refused with a summary line under 4096 bytes that still parses, counts first', async () => {
  const columns = ['id', 'name', ...Array.from({ length: 20_000 }, (_, i) => `no_such_column_${i}_${'é'.repeat(20)}`)];
  const csv = `${columns.join(',')}\n${columns.map((_, i) => i).join(',')}\n`;
  const summaryFile = join(dir, 'wide.json');
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'wide.csv', csv), '--table', 'items', '--key', 'id', '--summary-file', summaryFile]);
  assert.equal(result.code, 2, result.stderr);
  const summary = boundedSummary(result);
  assert.equal(summary.phase, 'Failed');
  assert.equal(summary.rowsInserted, 0);
  assert.match(String(summary.error), /header column "no_such_column_0_é+.*": column .* does not exist in public\.items.*…\[\d+ more bytes\]$/s);
  assert.equal(readFileSync(summaryFile, 'utf8'), `${JSON.stringify(summary)}\n`, 'the same bounded line goes to --summary-file');
});

test('an unreachable database still writes a summary: phase Failed, an error naming the server without its password, exit 1', async () => {
  const port = await freePort();
  const url = `postgres://bulkhead:s3cret-pw@127.0.0.1:${port}/app`;
  const result = await runImport(url, ['--file', writeCsv(dir, 'ok.csv', 'id,name\n1,a\n'), '--table', 'items', '--key', 'id']);
  assert.equal(result.code, 1, result.stderr);
  const summary = boundedSummary(result);
  assert.equal(summary.phase, 'Failed');
  assert.match(String(summary.error), new RegExp(`^cannot connect to postgres://bulkhead:\\*\\*\\*@127\\.0\\.0\\.1:${port}/app: .*ECONNREFUSED`));
  assert.ok(!(result.stdout + result.stderr).includes('s3cret-pw'), 'the password is nowhere in the output');
});

test('a spec that fails validation still writes a summary with phase Failed and the error', async () => {
  const result = await runImport(db.url, ['--file', 'x.csv', '--table', 'items', '--key', 'id', '--chunk-rows', '0']);
  assert.equal(result.code, 2, result.stderr);
  const summary = boundedSummary(result);
  assert.equal(summary.phase, 'Failed');
  assert.match(String(summary.error), /spec\.merge\.chunkRows/);
});
