/**
 * What the CLI prints, as a user meets it: --version, one log format on stderr (JSON lines or text lines, never
 * both), --log-level, and the messages of a plain `bulkhead import`, `queue init` without a processor and a
 * single bad row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testDatabase } from '../harness/test-database.js';
import { runCli, summaryOf } from '../harness/run-cli.js';
import { runImport, scratchDir, writeCsv } from '../import/import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
await db.pool.query('CREATE TABLE items (id int PRIMARY KEY, price numeric)');

/** An import that logs its start and phases, then fails on line 3's price: one bad row, none tolerated. */
const oneBadRow = ['--file', writeCsv(dir, 'one-bad.csv', 'id,price\n1,1.5\n2,abc\n'), '--table', 'items', '--key', 'id'];

/** stderr's lines, none empty. */
const linesOf = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '');

/** A text log line: ISO time, level, component, message. */
const TEXT_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) [\w-]+: /;

test('bulkhead --version prints the version in package.json', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const result = await runCli([flag]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  }
});

test('one bad row with none tolerated says "1 bad row", and stderr holds JSON records only, the error last', async () => {
  const result = await runImport(db.url, [...oneBadRow, '--log-format', 'json']);
  assert.equal(result.code, 2, result.stderr);
  const records = linesOf(result.stderr).map((line) => JSON.parse(line) as { level: number; component: string; event?: string; msg: string });
  assert.ok(records.some((r) => r.event === 'start' && r.level === 30), 'info records are there');
  const last = records.at(-1);
  assert.equal(last?.level, 50);
  assert.equal(last?.component, 'import');
  assert.match(last?.msg ?? '', /^.*one-bad\.csv: (at least )?1 bad row, and errors\.maxRejected is 0; nothing was merged:\n {2}.*one-bad\.csv:3:2 \(column "price"\)/);
  assert.match(String(summaryOf(result).error), /1 bad row,/);
});

test('--log-format text (or BULKHEAD_LOG_FORMAT=text) writes every record as a plain line, fields as key=value', async () => {
  for (const [args, env] of [[['--log-format', 'text'], {}], [[], { BULKHEAD_LOG_FORMAT: 'text' }]] as const) {
    const result = await runImport(db.url, [...oneBadRow, ...args], { env });
    assert.equal(result.code, 2, result.stderr);
    // Every line is a log line or the continuation of the error's list of rejects; none is JSON.
    const lines = linesOf(result.stderr);
    assert.deepEqual(lines.filter((l) => !TEXT_LINE.test(l) && !l.startsWith('  ')), []);
    assert.match(result.stderr, /INFO import: importing .*one-bad\.csv into items import=local\/items /);
    assert.match(lines.filter((l) => TEXT_LINE.test(l)).at(-1) ?? '', / ERROR import: .*one-bad\.csv: (at least )?1 bad row, and errors\.maxRejected is 0/);
  }
});

test('usage errors exit 2 (invalid input) and, like warnings, are records in the same format as the rest', async () => {
  const unknown = await runCli(['import', '--no-such-flag', '--log-format', 'json']);
  assert.equal(unknown.code, 2);
  assert.deepEqual(linesOf(unknown.stderr).map((l) => (JSON.parse(l) as { level: number; msg: string }).msg), ["unknown option '--no-such-flag' (run with --help for usage)"]);
  const text = await runCli(['--log-format', 'text', 'import', '--no-such-flag']);
  assert.match(text.stderr, /^\S+ ERROR cli: unknown option '--no-such-flag' \(run with --help for usage\)\n$/);
  const badLevel = await runCli(['--log-level', 'loud', 'import']);
  assert.equal(badLevel.code, 2);
  assert.match(badLevel.messages, /'--log-level <level>' argument 'loud' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent/);
});

test('--log-level warn leaves out info records and keeps the error', async () => {
  const result = await runImport(db.url, [...oneBadRow, '--log-level', 'warn', '--log-format', 'json']);
  assert.equal(result.code, 2, result.stderr);
  const levels = linesOf(result.stderr).map((line) => (JSON.parse(line) as { level: number }).level);
  assert.deepEqual(levels, [50]);
});

test('a plain bulkhead import names the flags that give it a source, with exit 2', async () => {
  const result = await runCli(['import']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.messages, /no CSV to import: give --file PATH \(- for standard input\), --url URL, or --manifest FILE/);
  assert.match(String(summaryOf(result).error), /--file PATH .*--url URL.*--manifest FILE/);
});

test('queue init needs no processor: it adds what every processor needs, and nothing for http\'s URL column', async () => {
  await db.pool.query("CREATE TABLE jobs (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'pending')");
  const result = await runCli(['queue', 'init', '--table', 'jobs'], { env: { DATABASE_URL: db.url } });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /public\.jobs: applied \d+ statements\n/);
  const { rows } = await db.pool.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' ORDER BY ordinal_position");
  assert.deepEqual(rows.map((r) => r.column_name), ['id', 'status', 'attempts', 'locked_by', 'locked_at', 'last_error']);
  // A worker on it runs, then, with a processor of its choosing.
  await db.pool.query('INSERT INTO jobs (id) VALUES (1), (2)');
  const worker = await runCli(['worker', '--table', 'jobs', '--processor', 'noop', '--drain'], { env: { DATABASE_URL: db.url } });
  assert.equal(worker.code, 0, worker.stderr);
});
