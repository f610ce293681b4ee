import type pg from 'pg';
import { stringify } from 'yaml';
import { runCli, type CliOptions, type CliResult } from '../harness/run-cli.js';
import { writeCsv } from '../import/import-fixtures.js';

/** Creates a queue table in the seed's creatives_fresh shape with `rows` pending rows, made ready by queue init. */
export async function createQueue(pool: pg.Pool, table: string, rows: number, url = (i: number) => `http://example.invalid/${i}`): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, creative_url text, status text NOT NULL DEFAULT 'pending',
    result jsonb, updated_at timestamptz, attempts integer NOT NULL DEFAULT 0, locked_by text, locked_at timestamptz, last_error text)`);
  await pool.query(`CREATE INDEX ${table}_pending ON ${table} (id) WHERE status = 'pending'`);
  await pool.query(`CREATE INDEX ${table}_processing ON ${table} (locked_at) WHERE status = 'processing'`);
  const urls = Array.from({ length: rows }, (_, i) => url(i + 1));
  await pool.query(`INSERT INTO ${table} (creative_url) SELECT unnest($1::text[])`, [urls]);
}

/** Writes a StressRun manifest and returns its path. */
export function stressRunManifest(dir: string, name: string, spec: Record<string, unknown>): string {
  return writeCsv(dir, `${name}.yaml`, stringify({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: { name }, spec }));
}

/** Runs `bulkhead worker` against a test database, with progress lines every 0.2 s. */
export function runWorker(databaseUrl: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(['worker', '--progress-interval', '0.2', ...args], { ...options, env: { DATABASE_URL: databaseUrl, ...options.env } });
}

/** Rows by status and attempts. */
export async function statusCounts(pool: pg.Pool, table: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ k: string; n: number }>(`SELECT status || '/' || attempts AS k, count(*)::int AS n FROM ${table} GROUP BY 1 ORDER BY 1`);
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}
