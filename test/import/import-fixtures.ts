import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { stringify } from 'yaml';
import { runCli, summaryOf, type CliOptions, type CliResult } from '../harness/run-cli.js';

/** A temp directory for a test file's CSVs. */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'bulkhead-test-'));
}

/** Writes a CSV (text or bytes) and returns its path. */
export function writeCsv(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Writes a CsvImport manifest and returns its path. */
export function csvImportManifest(dir: string, name: string, spec: Record<string, unknown>): string {
  return writeCsv(dir, `${name}.yaml`, stringify({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: { name }, spec }));
}

/** Runs `bulkhead import` against a test database, with progress lines every 0.2 s. */
export function runImport(databaseUrl: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(['import', '--progress-interval', '0.2', ...args], { ...options, env: { DATABASE_URL: databaseUrl, ...options.env } });
}

/** All rows of a table as plain objects, ordered by the given column. */
export async function rowsOf(pool: pg.Pool, table: string, orderBy: string): Promise<Record<string, unknown>[]> {
  const { rows } = await pool.query(`SELECT * FROM ${table} ORDER BY ${orderBy}`);
  return rows as Record<string, unknown>[];
}

/** bulkhead's staging tables that exist right now. */
export async function stagingTables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ relname: string }>(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bulkhead' AND c.relname ~ '_(stage|ready)$'");
  return rows.map((r) => r.relname);
}

/** The counts of a summary, each a whole number of records. */
const COUNTS = ['rowsRead', 'rowsRejected', 'duplicateKeys', 'rowsInserted', 'rowsUpdated', 'rowsUnchanged'] as const;

/**
 * Asserts that a summary accounts for every record once: each count a whole number, never negative, and
 * rowsRead = inserted + updated + unchanged + rejected + duplicateKeys. A failed run stops part way, so there the
 * records accounted for are at most rowsRead.
 */
export function assertCountsAddUp(summary: Record<string, unknown>): void {
  for (const name of COUNTS) {
    const n = summary[name];
    assert.ok(typeof n === 'number' && Number.isInteger(n) && n >= 0, `summary.${name} is ${String(n)}: ${JSON.stringify(summary)}`);
  }
  const [read, ...parts] = COUNTS.map((name) => summary[name] as number) as [number, ...number[]];
  const accounted = parts.reduce((a, b) => a + b, 0);
  const counts = COUNTS.map((name) => `${name} ${String(summary[name])}`).join(', ');
  if (summary.phase === 'Succeeded') assert.equal(accounted, read, `every record read is accounted for once: ${counts}`);
  else assert.ok(accounted <= read, `no more records are accounted for than were read: ${counts}`);
}

/** The summary line of an import, its counts checked with assertCountsAddUp. */
export function importSummary(result: CliResult): Record<string, unknown> {
  const summary = summaryOf(result);
  assertCountsAddUp(summary);
  return summary;
}

/** What an import did, and the peak resident memory of its process as the kernel counted it. */
export interface MeasuredRun extends CliResult {
  peakRssBytes: number;
}

const TIME = '/usr/bin/time';

/**
 * Runs `bulkhead import` under GNU time, which reads the process's peak RSS (ru_maxrss) from the kernel when it
 * exits: nothing in the runner is trusted to report its own memory.
 */
export async function runImportMeasured(databaseUrl: string, args: string[], options: CliOptions = {}): Promise<MeasuredRun> {
  assert.ok(existsSync(TIME), `${TIME} is missing; install the Debian package "time"`);
  const outDir = mkdtempSync(join(tmpdir(), 'bulkhead-time-'));
  const out = join(outDir, 'rss');
  const result = await runImport(databaseUrl, args, { ...options, wrapper: [TIME, '-f', '%M', '-o', out] });
  // GNU time writes "Command exited with non-zero status N" before the format's line on a failure.
  const kib = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
  rmSync(outDir, { recursive: true, force: true });
  assert.ok(kib > 0, `no peak RSS from ${TIME}`);
  return { ...result, peakRssBytes: kib * 1024 };
}
