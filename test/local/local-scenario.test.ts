import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { testDatabase } from '../harness/test-database.js';
import { CLI, runCli, type CliOptions } from '../harness/run-cli.js';
import { scratchDir, writeCsv } from '../import/import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
const seed = fileURLToPath(new URL('../../../examples/seed-scenario/', import.meta.url));

/** A small scenario: the seed's two tables, 2,000 existing advertisers, and two manifests. */
function writeScenario(name: string, stressRun: Record<string, unknown>, withImport: boolean, importSpec: Record<string, unknown> = {}): string[] {
  const sql = writeCsv(dir, `${name}-rows.sql`, `INSERT INTO advertisers (advertiser_id, advertiser_name)
    SELECT g, 'existing ' || g FROM generate_series(1, 2000) g ON CONFLICT DO NOTHING;`);
  const runs = writeCsv(dir, `${name}-stressrun.yaml`, stringify({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: { name }, spec: stressRun }));
  const imp = writeCsv(dir, `${name}-import.yaml`, stringify({
    apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport',
    metadata: { name: `${name}-advertisers`, annotations: { 'bulkhead.dev/local-generate-csv': 'advertisers' } },
    spec: { source: { path: 'generated.csv' }, target: { table: 'advertisers', key: ['advertiser_id'] }, merge: { chunkRows: 1000 }, ...importSpec },
  }));
  return [join(seed, 'advertisers-table.sql'), join(seed, 'creatives-table.sql'), sql, runs, ...(withImport ? [imp] : [])];
}

const workers = (n: number) => ({
  queue: { table: 'creatives_fresh', batchSize: 10 },
  processor: { type: 'sleep', sleep: { minMs: 20, maxMs: 60, failureRate: 0.05 } },
  workers: n,
});

interface TimelineJson {
  label: string | undefined;
  windows: { name: string; seconds: number; claim: { count: number }; update: { count: number } }[];
  totals: { completed: number; failed: number; retried: number; items: number };
  connections: { capacity: number; peakBulkhead: number; peakWorkers: number; peakImport: number };
  stressRuns: { wanted: number; granted: number; peakRunning: number; queueAfter: Record<string, number> }[];
  import: { summary: { rowsInserted: number }; finalRows: number } | undefined;
  pacing: { spec: Record<string, unknown>; stateSeconds: Record<string, number> } | undefined;
  interrupted: boolean;
}

interface ReportJson {
  timelines: TimelineJson[];
  comparison: { mergeSeconds: { off: number; on: number; ratio: number }; met: boolean | undefined } | undefined;
}

/** The report, and its first (with one timeline, its only) timeline. */
function readReport(reportDir: string): TimelineJson & ReportJson {
  const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as ReportJson;
  const first = report.timelines[0];
  assert.ok(first, 'the report has a timeline');
  return { ...first, ...report };
}

/** Runs `bulkhead local`, sampling this database's bulkhead connections every 20 ms meanwhile. */
async function runLocalSampled(args: string[], options: CliOptions = {}) {
  const watcher = new pg.Client({ connectionString: db.url });
  await watcher.connect();
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await watcher.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name ~ '^bulkhead/(import|worker)/local/'");
      peak = Math.max(peak, rows[0]?.n ?? 0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = await runCli(['local', '--database-url', db.url, ...args], options);
  sampling = false;
  await sampler;
  await watcher.end();
  return { result, peak };
}

test('a small scenario end to end: every phase, item counts that match the queue table, the budget kept, a valid chart', async () => {
  const reportDir = join(dir, 'report-e2e');
  const { result, peak } = await runLocalSampled([...writeScenario('e2e', workers(2), true), '--rows', '3000', '--baseline-seconds', '3', '--cooldown-seconds', '2', '--report-dir', reportDir]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /report: .*report\.md/);
  assert.doesNotMatch(result.stdout + result.stderr + readFileSync(join(reportDir, 'report.md'), 'utf8'), /:(?!\*\*\*@)[^:@/]+@127/, 'no password in the output or the report');

  const report = readReport(reportDir);
  const names = report.windows.map((w) => w.name);
  const expected = ['baseline', 'validate', 'copy', 'check', 'dedupe', 'merge', 'cooldown'];
  assert.deepEqual(names.filter((n) => expected.includes(n)), expected, `every phase, in order: ${names.join(', ')}`);
  const baseline = report.windows.find((w) => w.name === 'baseline');
  assert.ok(baseline && baseline.seconds >= 3 && baseline.claim.count > 0, 'the baseline ran its 3 s with claims');

  const { rows } = await db.pool.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM creatives_fresh GROUP BY 1');
  const table = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  assert.equal(report.totals.completed, table.completed ?? 0, 'completed items in the report = completed rows in the table');
  assert.equal(report.totals.failed, table.failed ?? 0, 'failed items in the report = failed rows in the table');
  assert.ok(report.totals.completed > 100, `the workers did work: ${report.totals.completed}`);
  assert.equal(table.processing, undefined, 'the workers were stopped cleanly: no row is left processing');
  assert.deepEqual(report.stressRuns[0]?.queueAfter, table);

  const advertisers = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM advertisers');
  assert.equal(advertisers.rows[0]?.n, 2000 + 3000, 'the generated rows came after the existing ones');
  assert.equal(report.import?.summary.rowsInserted, 3000);

  assert.ok(peak <= 3 && peak >= 2, `bulkhead's connections in pg_stat_activity: ${peak}, granted 2 workers + 1 import`);
  assert.ok(report.connections.peakBulkhead <= report.connections.capacity, 'the report saw no more than the budget');
  assert.equal(report.stressRuns[0]?.granted, 2);

  const svg = readFileSync(join(reportDir, 'chart.svg'), 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);
  assert.match(svg, /merge/, 'the chart names the merge phase');
  const png = readFileSync(join(reportDir, 'chart.png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  assert.ok(png.readUInt32BE(16) > 500 && png.readUInt32BE(20) > 300, 'a chart-sized PNG');
  // The baseline has claims; a 3,000-row COPY is over in milliseconds and may see none ("–"), the merge column
  // has numbers or "–" likewise, but the row and its three windows are there.
  assert.match(readFileSync(join(reportDir, 'report.md'), 'utf8'), /\| claim latency, ms \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| (?:[\d.]+ \(|– \/ – \/ –)[^|]*\| (?:[\d.]+ \(|– \/ – \/ –)[^|]*\|/);
});

test('--compare-pacing runs the timeline unpaced, then paced, from the same rows, and compares the two merges', async () => {
  const reportDir = join(dir, 'report-compare');
  // Quick workers (a batch of 5 every 50 ms or so: 40 claims/s) put dozens of statements into a merge of a second
  // or two, and use about 3,000 of the 10,000 rows each setup adds per timeline, so the queue never runs dry (with
  // 1-4 ms items it did, in the paced timeline). The floor keeps the paced merge of 40,000 rows under about 4 s.
  const quick = { queue: { table: 'creatives_fresh', batchSize: 5 }, processor: { type: 'sleep', sleep: { minMs: 5, maxMs: 15, failureRate: 0 } }, workers: 2 };
  const pacing = { maxWorkerLatencyIncreasePercent: 25, minRowsPerSecond: 10000 };
  const before = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM advertisers');
  const result = await runCli(['local', '--database-url', db.url, ...writeScenario('compare', quick, true), '--rows', '40000', '--baseline-seconds', '3',
    '--cooldown-seconds', '2', '--compare-pacing', '--pacing', JSON.stringify(pacing), '--report-dir', reportDir]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const report = readReport(reportDir);
  assert.deepEqual(report.timelines.map((t) => t.label), ['pacing off', 'pacing on']);
  assert.equal(report.timelines[0]?.pacing, undefined);
  assert.deepEqual(report.timelines[1]?.pacing?.spec, pacing);
  for (const t of report.timelines) {
    const merge = t.windows.find((w) => w.name === 'merge');
    assert.ok(merge && merge.claim.count > 0 && merge.update.count > 0, `${t.label}: claims and completions during the merge: ${JSON.stringify(merge)}`);
    assert.equal(t.import?.summary.rowsInserted, 40000, `${t.label}: the second import inserted the same new rows again`);
    assert.equal(t.import?.finalRows, 40000, `${t.label}: the final row count`);
  }
  const after = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM advertisers');
  assert.equal(after.rows[0]?.n, (before.rows[0]?.n ?? 0) + 40000, 'the first import\'s rows were deleted before the second');
  const c = report.comparison;
  assert.ok(c && c.mergeSeconds.off > 0 && c.mergeSeconds.on > 0 && c.mergeSeconds.ratio > 0, JSON.stringify(c));
  assert.match(result.stdout, /import done: 40,000 of 40,000 rows/, 'the live line shows the final count once the import is done');

  const md = readFileSync(join(reportDir, 'report.md'), 'utf8');
  const latencies = String.raw`[\d.]+ \([+−]\d+%\) \/ [\d.]+ \([+−]\d+%\) \/ [\d.]+ \([+−]\d+%\)`;
  for (const row of ['claim', 'completion UPDATE']) {
    assert.match(md, new RegExp(String.raw`\| ${row}, during the merge \| ${latencies} \| ${latencies} \|`), `${row}: numbers for both merges`);
  }
  assert.match(md, /\| items per minute, during the merge \| [\d,]+ \([+−]\d+%\) \| [\d,]+ \([+−]\d+%\) \|/);
  assert.match(md, /\| merge, seconds \| [\d.]+ \| [\d.]+ \([\d.]+x\) \|/);
  assert.match(md, /\*\*Goal (?:met|not met)\*\*/);
  assert.match(readFileSync(join(reportDir, 'chart.svg'), 'utf8'), /pacing on[\s\S]*completion/, 'the chart has the paced timeline and the completion latency');
});

test('a StressRun that does not fit is limited by the budget, as the operator limits it', async () => {
  // max_connections 8: 3 reserved for superusers, 1 headroom (10% of 5, rounded up), 1 for bulkhead local's own
  // connection, so 3 workers of the 5 wanted fit.
  const reportDir = join(dir, 'report-limited');
  const result = await runCli(['local', ...writeScenario('limited', workers(5), false), '--max-connections', '8', '--baseline-seconds', '2', '--cooldown-seconds', '0', '--report-dir', reportDir]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const report = readReport(reportDir);
  assert.equal(report.connections.capacity, 3);
  assert.deepEqual([report.stressRuns[0]?.wanted, report.stressRuns[0]?.granted, report.stressRuns[0]?.peakRunning], [5, 3, 3]);
  assert.ok(report.connections.peakWorkers <= 3, `worker connections sampled: ${report.connections.peakWorkers}`);
  assert.match(readFileSync(join(reportDir, 'report.md'), 'utf8'), /5 workers wanted, 3 granted \(BudgetLimited\)/);
});

test('a bad manifest is refused with the API server\'s messages before anything starts', async () => {
  const bad = writeCsv(dir, 'bad.yaml', stringify({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: { name: 'bad' },
    spec: { queue: { table: 'creatives_fresh', batchSize: 0 }, processor: { type: 'teleport' } } }));
  const result = await runCli(['local', bad, '--database-url', 'postgres://nobody@127.0.0.1:1/none']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.messages, /bad\.yaml: StressRun bad: StressRun spec is invalid:/);
  assert.match(result.messages, /spec\.processor\.type: Unsupported value: supported values: "http", "sleep", "noop"/);
  assert.match(result.messages, /spec\.queue\.batchSize: Invalid value: must be >= 1/);
  const unreachable = await runCli(['local', ...writeScenario('nowhere', workers(1), false), '--database-url', 'postgres://nobody:secret@127.0.0.1:1/none']);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.messages, /cannot connect to postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none.*leave out --database-url to use an embedded PostgreSQL/);
  assert.doesNotMatch(unreachable.stderr, /secret/);
});

test('Ctrl-C stops the workers cleanly and still writes what was measured', async () => {
  const reportDir = join(dir, 'report-interrupted');
  const advertisers = 'SELECT count(*)::int AS n FROM advertisers';
  const before = await db.pool.query<{ n: number }>(advertisers);
  let sent = false;
  const { result } = await runLocalSampled([...writeScenario('interrupted', workers(2), true), '--rows', '3000', '--baseline-seconds', '30', '--report-dir', reportDir], {
    onSpawn: (child) => {
      child.stdout?.on('data', (d: Buffer) => {
        if (!sent && d.toString().includes('baseline:')) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 1500);
        }
      });
    },
  });
  assert.equal(result.code, 130, result.stderr + result.stdout);
  const report = readReport(reportDir);
  assert.equal(report.interrupted, true);
  assert.ok(report.windows.some((w) => w.name === 'baseline' && w.claim.count > 0), 'the baseline measured so far is in the report');
  assert.match(readFileSync(join(reportDir, 'report.md'), 'utf8'), /\*\*Interrupted\*\*/);
  const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM creatives_fresh WHERE status = 'processing'");
  assert.equal(rows[0]?.n, 0, 'no row is left processing');
  const count = await db.pool.query<{ n: number }>(advertisers);
  assert.equal(count.rows[0]?.n, before.rows[0]?.n, 'the import never started');
});

test('a Ctrl-C at the terminal reaches the whole process group; the embedded server outlives the runners, then stops', async () => {
  const reportDir = join(dir, 'report-terminal');
  // detached: a process group of its own, which a terminal's Ctrl-C signals as a whole.
  const child = spawn(process.execPath, [CLI, 'local', ...writeScenario('terminal', workers(2), false), '--baseline-seconds', '60', '--report-dir', reportDir],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      const first = !stdout.includes('baseline:');
      stdout += d.toString();
      if (first && stdout.includes('baseline:')) setTimeout(() => process.kill(-(child.pid as number), 'SIGINT'), 1500);
    });
    child.on('close', resolve);
  });
  assert.equal(code, 130, stderr + stdout);
  const report = readReport(reportDir);
  assert.equal(report.interrupted, true);
  assert.ok(report.stressRuns[0]?.queueAfter, 'the server was still up to count the queue after the workers stopped');
  assert.equal(report.stressRuns[0]?.queueAfter.processing, undefined, 'the workers handed their rows back before the server stopped');
  const port = Number(/embedded PostgreSQL on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
  assert.ok(port > 0, stdout);
  const refused = await new Promise<boolean>((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
  assert.equal(refused, true, 'the embedded server was stopped');
});
