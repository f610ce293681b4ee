/**
 * `npm run bench:import [-- --rows N] [--only SCENARIO]`: bulkhead import against a hand-written baseline, side by side in one run,
 * on one embedded PostgreSQL, in the seed's advertisers shape (primary key + three secondary indexes).
 *
 * Baseline: `psql \copy` into an UNLOGGED table, then one INSERT ... SELECT ... ON CONFLICT ... DO UPDATE ...
 * WHERE ... IS DISTINCT FROM. Scenarios: an empty target; a re-import of unchanged rows; 10% changed and 10% new
 * rows into a populated target. Each side starts from an identical, freshly built target.
 * Needs `psql` on PATH (Debian: postgresql-client). Prints a Markdown table and writes bench/results/import.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../runners/shared/embedded-postgres.js';
import { writeAdvertisersCsv } from '../runners/shared/advertisers-csv.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 3_500_000;
const root = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = join(root, 'bench', 'data');
const resultsDir = join(root, 'bench', 'results');
mkdirSync(dataDir, { recursive: true });
mkdirSync(resultsDir, { recursive: true });

const COLUMNS = 'advertiser_id, advertiser_name, advertiser_name_normalized, country, created_at, spend';
const TABLE_DDL = `CREATE TABLE advertisers (advertiser_id bigint PRIMARY KEY, advertiser_name text NOT NULL,
  advertiser_name_normalized text, country char(2), created_at timestamptz, spend numeric(12,2))`;
const INDEX_DDL = [
  'CREATE INDEX advertisers_name ON advertisers (advertiser_name)',
  'CREATE INDEX advertisers_name_normalized ON advertisers (advertiser_name_normalized)',
  'CREATE INDEX advertisers_country ON advertisers (country)',
];
function psql(url: string, command: string): number {
  const start = performance.now();
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - start) / 1000;
}

/** Rebuilds the target: empty, or holding the base file's rows, with every index, vacuumed and checkpointed. */
async function resetTarget(client: pg.Client, populated: boolean): Promise<void> {
  await client.query('DROP TABLE IF EXISTS advertisers; DROP TABLE IF EXISTS baseline_stage');
  await client.query(TABLE_DDL);
  if (populated) await client.query(`INSERT INTO advertisers SELECT * FROM pristine ORDER BY advertiser_id`);
  for (const ddl of INDEX_DDL) await client.query(ddl);
  await client.query('VACUUM ANALYZE advertisers');
  await client.query('CHECKPOINT');
}

interface Timing { total: number; copy: number; merge: number; peakRssMb?: number }

function runBaseline(url: string, file: string): Timing {
  psql(url, `CREATE UNLOGGED TABLE baseline_stage (LIKE advertisers)`);
  const copy = psql(url, `\\copy baseline_stage FROM '${file}' WITH (FORMAT csv, HEADER true)`);
  const merge = psql(url, `INSERT INTO advertisers AS t (${COLUMNS}) SELECT ${COLUMNS} FROM baseline_stage
    ON CONFLICT (advertiser_id) DO UPDATE SET (advertiser_name, advertiser_name_normalized, country, created_at, spend) =
      ROW(EXCLUDED.advertiser_name, EXCLUDED.advertiser_name_normalized, EXCLUDED.country, EXCLUDED.created_at, EXCLUDED.spend)
    WHERE (t.advertiser_name, t.advertiser_name_normalized, t.country, t.created_at, t.spend) IS DISTINCT FROM
      (EXCLUDED.advertiser_name, EXCLUDED.advertiser_name_normalized, EXCLUDED.country, EXCLUDED.created_at, EXCLUDED.spend)`);
  psql(url, 'DROP TABLE baseline_stage');
  return { total: copy + merge, copy, merge };
}

async function runBulkhead(url: string, file: string): Promise<Timing> {
  const cli = join(root, 'dist', 'runners', 'cli.js');
  const start = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'import', '--file', file, '--table', 'advertisers', '--key', 'advertiser_id', '--progress-interval', '30'],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATABASE_URL: url } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bulkhead import exited ${code}`))));
  });
  const total = (performance.now() - start) / 1000;
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { copySeconds: number; mergeSeconds: number; peakRssBytes: number };
  return { total, copy: summary.copySeconds, merge: summary.mergeSeconds, peakRssMb: Math.round(summary.peakRssBytes / 1048576) };
}

const server = await startEmbeddedPostgres({ maxConnections: 40, settings: { max_wal_size: '4GB', shared_buffers: '512MB' } });
const client = new pg.Client({ connectionString: server.url });
await client.connect();
try {
  const base = join(dataDir, `advertisers-${ROWS}.csv`);
  const changed = join(dataDir, `advertisers-${ROWS}-changed.csv`);
  process.stderr.write(`generating ${ROWS} rows...\n`);
  await writeAdvertisersCsv(base, ROWS);
  await writeAdvertisersCsv(changed, ROWS, { variant: 1 });
  await client.query('DROP TABLE IF EXISTS pristine');
  await client.query(TABLE_DDL.replace('CREATE TABLE advertisers', 'CREATE UNLOGGED TABLE pristine'));
  psql(server.url, `\\copy pristine FROM '${base}' WITH (FORMAT csv, HEADER true)`);

  const scenarios = [
    { name: 'empty target', populated: false, file: base },
    { name: 're-import, unchanged', populated: true, file: base },
    { name: '10% changed + 10% new', populated: true, file: changed },
  ];
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
  const results: { scenario: string; baseline: Timing; bulkhead: Timing }[] = [];
  for (const s of scenarios.filter((x) => !only || x.name.includes(only))) {
    process.stderr.write(`${s.name}: baseline...\n`);
    await resetTarget(client, s.populated);
    const baseline = runBaseline(server.url, s.file);
    process.stderr.write(`${s.name}: bulkhead...\n`);
    await resetTarget(client, s.populated);
    const bulkhead = await runBulkhead(server.url, s.file);
    results.push({ scenario: s.name, baseline, bulkhead });
    process.stderr.write(`${s.name}: baseline ${baseline.total.toFixed(1)}s, bulkhead ${bulkhead.total.toFixed(1)}s\n`);
  }
  const lines = [
    `rows: ${ROWS}, PostgreSQL 18 (embedded), ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| scenario | baseline total s (copy + merge) | bulkhead total s (copy + merge) | ratio total | ratio COPY | bulkhead peak RSS MB |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.scenario} | ${r.baseline.total.toFixed(1)} (${r.baseline.copy.toFixed(1)} + ${r.baseline.merge.toFixed(1)}) | ` +
      `${r.bulkhead.total.toFixed(1)} (${r.bulkhead.copy.toFixed(1)} + ${r.bulkhead.merge.toFixed(1)}) | ` +
      `${(r.bulkhead.total / r.baseline.total).toFixed(2)}x | ${(r.bulkhead.copy / r.baseline.copy).toFixed(2)}x | ${r.bulkhead.peakRssMb ?? ''} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(join(resultsDir, `import-${ROWS}.json`), JSON.stringify({ rows: ROWS, results }, null, 2));
} finally {
  await client.end();
  await server.stop();
}
