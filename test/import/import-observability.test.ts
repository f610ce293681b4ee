import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testDatabase } from '../harness/test-database.js';
import { freePort } from '../../runners/shared/embedded-postgres.js';
import { importSummary, runImport, scratchDir } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
await db.pool.query('CREATE TABLE blobs (id int PRIMARY KEY, payload text NOT NULL)');

/** A CSV of `rows` rows of `width` bytes each, generated as it is read, never held in memory. */
function generatedCsv(rows: number, width: number): Readable {
  const filler = 'y'.repeat(width);
  let i = 0;
  return Readable.from((function* () {
    yield 'id,payload\n';
    while (i < rows) {
      const lines: string[] = [];
      for (let k = 0; k < 256 && i < rows; k++) lines.push(`${++i},${filler}`);
      yield `${lines.join('\n')}\n`;
    }
  })());
}

test('memory stays flat on a file much larger than the runner\'s heap: 240 MB streamed, peak RSS under 150 MB', async () => {
  const rows = 120_000;
  const result = await runImport(db.url, ['--file', '-', '--table', 'blobs', '--key', 'id'], { stdin: generatedCsv(rows, 2000) });
  assert.equal(result.code, 0, result.stderr);
  const summary = importSummary(result);
  assert.equal(summary.rowsInserted, rows);
  assert.ok((summary.peakRssBytes as number) < 150 * 1024 * 1024, `peak RSS ${String(summary.peakRssBytes)} bytes`);
});

test('progress lines show phase, rows and rows per second; /metrics serves the import metrics; the summary goes to --summary-file', async () => {
  await db.pool.query('TRUNCATE blobs');
  const port = await freePort();
  const summaryFile = join(dir, 'summary.json');
  let scraped = '';
  let scraping = false;
  const result = await runImport(db.url, ['--file', '-', '--table', 'blobs', '--key', 'id', '--metrics-port', String(port), '--summary-file', summaryFile], {
    stdin: generatedCsv(50_000, 100),
    onStderr: (text) => {
      if (scraping || !text.includes('"phase":"merge"')) return;
      scraping = true;
      void fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).then((t) => (scraped = t), () => undefined);
    },
  });
  assert.equal(result.code, 0, result.stderr);
  const progress = result.stderr.split('\n').filter((l) => l.includes('"event":"progress"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(progress.length > 0, 'at least one progress line');
  for (const p of progress) {
    assert.equal(typeof p.phase, 'string');
    assert.equal(typeof p.rows, 'number');
    assert.equal(typeof p.rowsPerSecond, 'number');
  }
  assert.match(scraped, /^bulkhead_import_rows_total\{phase="read"\} 50000$/m);
  assert.match(scraped, /^bulkhead_import_phase_seconds\{phase="copy"\} [\d.]+$/m);
  assert.match(scraped, /^# TYPE bulkhead_import_rows_total counter$/m);
  const fromFile = JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(fromFile, importSummary(result));
  assert.equal(fromFile.rowsInserted, 50_000);
});

test('a busy metrics port is refused with a message saying what to do', async () => {
  const port = await freePort();
  const { createServer } = await import('node:http');
  const blocker = createServer().listen(port, '0.0.0.0');
  try {
    const result = await runImport(db.url, ['--file', '-', '--table', 'blobs', '--key', 'id', '--metrics-port', String(port)], { stdin: 'id,payload\n1,a\n' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`metrics port ${port} is already in use; pick another with --metrics-port`));
  } finally {
    blocker.close();
  }
});
