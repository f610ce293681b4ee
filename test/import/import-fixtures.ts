import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { stringify } from 'yaml';
import { runCli, type CliOptions, type CliResult } from '../harness/run-cli.js';

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
