/**
 * `npm run bench:import [-- --rows N] [--only SCENARIO]`: bulkhead import against a hand-written baseline, side by side in one run,
 * on one embedded PostgreSQL, in the seed's advertisers shape (primary key + three secondary indexes).
 *
 * Baseline: `psql \copy` into an UNLOGGED table, then one INSERT ... SELECT ... ON CONFLICT ... DO UPDATE ...
 * WHERE ... IS DISTINCT FROM. Scenarios: an empty target; a re-import of unchanged rows; 10% changed and 10% new
 * rows into a populated target; N new keys into a target of N/10 rows with the seed's `normalize` transform (the
 * baseline's SELECT computes the same SQL expression). Each side starts from an identical, freshly built target.
 * SCENARIO is an id (empty, unchanged, changed, populated-new) or part of a name.
 * Needs `psql` on PATH (Debian: postgresql-client). Prints Markdown tables and writes bench/results/import-N.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../runners/shared/embedded-postgres.js';
import { writeAdvertisersCsv } from '../runners/shared/advertisers-csv.js';
import { transformExpression } from '../runners/import/sql/value-expression.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 3_500_000;
const root = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = join(root, 'bench', 'data');
const resultsDir = join(root, 'bench', 'results');
mkdirSync(dataDir, { recursive: true });
mkdirSync(resultsDir, { recursive: true });

const COLUMNS = 'advertiser_id, advertiser_name, advertiser_name_normalized, country, created_at, spend';
/** The seed's transform (examples/advertisers-import.yaml), as a spec gives it and as the baseline computes it. */
const NORMALIZE = { advertiser_name_normalized: { normalize: 'advertiser_name' } };
const NORMALIZED_SELECT = COLUMNS.replace(' advertiser_name_normalized,', ` ${transformExpression('normalize', 'advertiser_name')},`);
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

/** Rebuilds the target holding the base file's first `rows` rows, with every index, vacuumed and checkpointed. */
async function resetTarget(client: pg.Client, rows: number): Promise<void> {
  await client.query('DROP TABLE IF EXISTS advertisers; DROP TABLE IF EXISTS baseline_stage');
  await client.query(TABLE_DDL);
  if (rows > 0) await client.query('INSERT INTO advertisers SELECT * FROM pristine WHERE advertiser_id <= $1 ORDER BY advertiser_id', [rows]);
  for (const ddl of INDEX_DDL) await client.query(ddl);
  await client.query('VACUUM ANALYZE advertisers');
  await client.query('CHECKPOINT');
}

interface Timing { total: number; copy: number; merge: number; peakRssMb?: number; phases?: Record<string, number> }

function runBaseline(url: string, file: string, normalize: boolean): Timing {
  psql(url, `CREATE UNLOGGED TABLE baseline_stage (LIKE advertisers)`);
  const copy = psql(url, `\\copy baseline_stage FROM '${file}' WITH (FORMAT csv, HEADER true)`);
  const merge = psql(url, `INSERT INTO advertisers AS t (${COLUMNS}) SELECT ${normalize ? NORMALIZED_SELECT : COLUMNS} FROM baseline_stage
    ON CONFLICT (advertiser_id) DO UPDATE SET (advertiser_name, advertiser_name_normalized, country, created_at, spend) =
      ROW(EXCLUDED.advertiser_name, EXCLUDED.advertiser_name_normalized, EXCLUDED.country, EXCLUDED.created_at, EXCLUDED.spend)
    WHERE (t.advertiser_name, t.advertiser_name_normalized, t.country, t.created_at, t.spend) IS DISTINCT FROM
      (EXCLUDED.advertiser_name, EXCLUDED.advertiser_name_normalized, EXCLUDED.country, EXCLUDED.created_at, EXCLUDED.spend)`);
  psql(url, 'DROP TABLE baseline_stage');
  return { total: copy + merge, copy, merge };
}

/**
 * Seconds in each phase, from the runner's `phase` log lines (millisecond timestamps): `start` runs from the spawn
 * to the COPY (Node, connecting, migrations, validation), `exit` from `done` to the exit (dropping staging).
 */
function phaseSeconds(stderr: string, spawnedAt: number, exitedAt: number): Record<string, number> {
  const marks: [string, number][] = [['start', spawnedAt]];
  for (const line of stderr.split('\n')) {
    if (!line.includes('"event":"phase"')) continue;
    const record = JSON.parse(line) as { phase: string; time: string };
    marks.push([record.phase, Date.parse(record.time)]);
  }
  marks.push(['exit', exitedAt]);
  const phases: Record<string, number> = {};
  for (let i = 0; i + 1 < marks.length; i++) {
    const [phase, at] = marks[i] as [string, number];
    phases[phase === 'done' ? 'exit' : phase] = ((marks[i + 1] as [string, number])[1] - at) / 1000;
  }
  return phases;
}

async function runBulkhead(url: string, file: string, normalize: boolean): Promise<Timing> {
  const cli = join(root, 'dist', 'runners', 'cli.js');
  const start = performance.now();
  const spawnedAt = Date.now();
  const env = { ...process.env, DATABASE_URL: url, ...(normalize ? { BULKHEAD_SPEC: JSON.stringify({ target: { transforms: NORMALIZE } }) } : {}) };
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'import', '--file', file, '--table', 'advertisers', '--key', 'advertiser_id', '--progress-interval', '30'],
      { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve({ stdout: out, stderr: err }) : reject(new Error(`bulkhead import exited ${code}:\n${err}${out}`))));
  });
  const total = (performance.now() - start) / 1000;
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { copySeconds: number; mergeSeconds: number; peakRssBytes: number };
  return { total, copy: summary.copySeconds, merge: summary.mergeSeconds, peakRssMb: Math.round(summary.peakRssBytes / 1048576), phases: phaseSeconds(stderr, spawnedAt, Date.now()) };
}

/** The load average over the last minute, to read a run's numbers by. */
function load(): number {
  return Math.round((loadavg()[0] ?? 0) * 10) / 10;
}

const server = await startEmbeddedPostgres({ maxConnections: 40, settings: { max_wal_size: '4GB', shared_buffers: '512MB' } });
const client = new pg.Client({ connectionString: server.url });
await client.connect();
try {
  const base = join(dataDir, `advertisers-${ROWS}.csv`);
  const changed = join(dataDir, `advertisers-${ROWS}-changed.csv`);
  const fresh = join(dataDir, `advertisers-${ROWS}-new.csv`);
  const existing = Math.floor(ROWS / 10);
  process.stderr.write(`generating ${ROWS} rows...\n`);
  await writeAdvertisersCsv(base, ROWS);
  await writeAdvertisersCsv(changed, ROWS, { variant: 1 });
  // Keys after the populated target's: every row is new.
  await writeAdvertisersCsv(fresh, ROWS, { firstId: existing + 1 });
  await client.query('DROP TABLE IF EXISTS pristine');
  await client.query(TABLE_DDL.replace('CREATE TABLE advertisers', 'CREATE UNLOGGED TABLE pristine'));
  psql(server.url, `\\copy pristine FROM '${base}' WITH (FORMAT csv, HEADER true)`);

  const scenarios = [
    { id: 'empty', name: 'empty target', targetRows: 0, file: base, normalize: false },
    { id: 'unchanged', name: 're-import, unchanged', targetRows: ROWS, file: base, normalize: false },
    { id: 'changed', name: '10% changed + 10% new', targetRows: ROWS, file: changed, normalize: false },
    { id: 'populated-new', name: `new keys into ${existing} rows, normalize`, targetRows: existing, file: fresh, normalize: true },
  ];
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
  const results: { scenario: string; baseline: Timing; bulkhead: Timing; load: [number, number] }[] = [];
  for (const s of scenarios.filter((x) => !only || x.id === only || x.name.includes(only))) {
    const loadBefore = load();
    process.stderr.write(`${s.name}: baseline (load ${loadBefore})...\n`);
    await resetTarget(client, s.targetRows);
    const baseline = runBaseline(server.url, s.file, s.normalize);
    process.stderr.write(`${s.name}: bulkhead...\n`);
    await resetTarget(client, s.targetRows);
    const bulkhead = await runBulkhead(server.url, s.file, s.normalize);
    results.push({ scenario: s.name, baseline, bulkhead, load: [loadBefore, load()] });
    process.stderr.write(`${s.name}: baseline ${baseline.total.toFixed(1)}s, bulkhead ${bulkhead.total.toFixed(1)}s\n`);
  }
  const phaseNames = ['start', 'copy', 'check', 'dedupe', 'merge', 'exit'];
  const lines = [
    `rows: ${ROWS}, PostgreSQL 18 (embedded), ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| scenario | baseline total s (copy + merge) | bulkhead total s (copy + merge) | ratio total | ratio COPY | bulkhead peak RSS MB | load before, after |',
    '|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.scenario} | ${r.baseline.total.toFixed(1)} (${r.baseline.copy.toFixed(1)} + ${r.baseline.merge.toFixed(1)}) | ` +
      `${r.bulkhead.total.toFixed(1)} (${r.bulkhead.copy.toFixed(1)} + ${r.bulkhead.merge.toFixed(1)}) | ` +
      `${(r.bulkhead.total / r.baseline.total).toFixed(2)}x | ${(r.bulkhead.copy / r.baseline.copy).toFixed(2)}x | ${r.bulkhead.peakRssMb ?? ''} | ${r.load.join(', ')} |`),
    '',
    `| scenario | bulkhead phases s: ${phaseNames.join(' / ')} |`,
    '|---|---|',
    ...results.map((r) => `| ${r.scenario} | ${phaseNames.map((p) => (r.bulkhead.phases?.[p] ?? 0).toFixed(1)).join(' / ')} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(join(resultsDir, `import-${ROWS}.json`), JSON.stringify({ rows: ROWS, results }, null, 2));
} finally {
  await client.end();
  await server.stop();
}
