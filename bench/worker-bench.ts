/**
 * `npm run bench:worker [-- --rows N] [--clients 1,3,8] [--systems bulkhead,pgbench,pg-boss,graphile] [--repeat R]`:
 * the bulkhead worker against (a) the raw SQL ceiling, pgbench running the same claim-and-complete work with the
 * same batch size and client count, and (b) its peers pg-boss 12 and graphile-worker, each configured for
 * throughput as its docs advise (worker-peers.ts), all with a noop processor, side by side in one run on one
 * embedded PostgreSQL. With --repeat R the systems take turns R times and the table shows medians: each ratio is
 * the median of the ratios within a round, so a slow patch on the shared machine hits both sides of it.
 * Needs `pgbench` on PATH (Debian: postgresql-15 or postgresql-client's contrib). Prints a Markdown table and
 * writes bench/results/worker-<rows>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../runners/shared/embedded-postgres.js';
import { runAll } from './run-children.js';
import { benchGraphile, benchPgBoss, GRAPHILE, PG_BOSS, type BenchResult, type PeerRun } from './worker-peers.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const ROWS = Number(arg('--rows', '1000000'));
const CLIENTS = arg('--clients', '1,3,8').split(',').map(Number);
const SYSTEMS = arg('--systems', 'bulkhead,pgbench,pg-boss,graphile').split(',');
const ROUNDS = Number(arg('--repeat', '1'));
const BATCH = 20;
const root = fileURLToPath(new URL('../../', import.meta.url));
const resultsDir = join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const peerRun: PeerRun = { distDir: join(root, 'dist', 'bench'), rows: ROWS, batch: BATCH };

async function resetQueue(client: pg.Client): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS q;
    CREATE TABLE q (id bigserial PRIMARY KEY, url text, status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,
      locked_by text, locked_at timestamptz, last_error text);
    INSERT INTO q (url) SELECT 'http://example.invalid/' || g FROM generate_series(1, ${ROWS}) g;
    CREATE INDEX q_pending ON q (id) WHERE status = 'pending';
    CREATE INDEX q_processing ON q (locked_at) WHERE status = 'processing';`);
  await client.query('VACUUM ANALYZE q');
  await client.query('CHECKPOINT');
}

const RAW_SQL = 'raw SQL (pgbench)';

async function benchBulkhead(url: string, clients: number, _client: pg.Client): Promise<BenchResult> {
  const cli = join(root, 'dist', 'runners', 'cli.js');
  const start = performance.now();
  const outs = await runAll(Array.from({ length: clients }, () => ({
    cmd: process.execPath,
    args: [cli, 'worker', '--table', 'q', '--processor', 'noop', '--batch-size', String(BATCH), '--drain', '--progress-interval', '60'],
    env: { DATABASE_URL: url },
  })));
  const seconds = (performance.now() - start) / 1000;
  const done = outs.map((o) => JSON.parse(o.split('\n').find((l) => l.includes('"event":"done"')) ?? '{}') as { completed: number; claimSecondsP50: number; claimSecondsP99: number });
  const total = done.reduce((n, d) => n + d.completed, 0);
  if (total !== ROWS) throw new Error(`bulkhead completed ${total} of ${ROWS}`);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { system: 'bulkhead worker', clients, seconds, itemsPerSecond: ROWS / seconds,
    claimP50Ms: mean(done.map((d) => d.claimSecondsP50)) * 1000, claimP99Ms: Math.max(...done.map((d) => d.claimSecondsP99)) * 1000,
    note: 'claim latency from the worker\'s histogram (bucket-interpolated)' };
}

/**
 * pgbench running the least SQL that claims and completes a batch like the worker does, ids carried from the claim
 * to the completion with \gset: the ceiling for this work on this server. It does less than the worker's own
 * statements (one array instead of four, no CASE for retries, no RETURNING), so the ratio to it is conservative.
 */
function benchPgbench(url: string, clients: number): BenchResult {
  const script = join(resultsDir, 'claim-complete.sql');
  writeFileSync(script, `WITH picked AS (SELECT id FROM q WHERE status = 'pending' ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED),
claimed AS (UPDATE q SET status = 'processing', locked_by = 'pgbench', locked_at = now(), attempts = attempts + 1 FROM picked WHERE q.id = picked.id RETURNING q.id)
SELECT coalesce(array_agg(id), '{}') AS ids FROM claimed \\gset
UPDATE q SET status = 'completed', last_error = NULL, locked_by = NULL, locked_at = NULL FROM unnest(:ids::bigint[]) AS r(id) WHERE q.id = r.id AND q.status = 'processing' AND q.locked_by = 'pgbench';
`);
  const perClient = Math.ceil(ROWS / BATCH / clients);
  const start = performance.now();
  const out = execFileSync('pgbench', ['-n', '-M', 'prepared', '-r', '-c', String(clients), '-j', String(clients), '-t', String(perClient), '-f', script, url], { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  const claimAvg = Number(/^\s+([\d.]+)\s+\d+\s+WITH picked/m.exec(out)?.[1] ?? NaN);
  return { system: RAW_SQL, clients, seconds, itemsPerSecond: ROWS / seconds, claimP50Ms: claimAvg, note: 'claim latency is pgbench\'s per-statement average' };
}

type Round = BenchResult & { round: number };
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** One row per clients and system: median items/s, and each ratio as the median of the per-round ratios. */
function table(results: Round[]): string[] {
  const keys = [...new Map(results.map((r) => [`${r.clients}|${r.system}`, r])).values()];
  const ratio = (r: Round, system: string): string => {
    const ratios = results.filter((x) => x.clients === r.clients && x.system === r.system).flatMap((x) => {
      const other = results.find((o) => o.round === x.round && o.clients === x.clients && o.system === system);
      return other ? [x.itemsPerSecond / other.itemsPerSecond] : [];
    });
    if (ratios.length === 0) return '';
    const spread = ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : '';
    return `${median(ratios).toFixed(2)}x${spread}`;
  };
  return [
    '| clients | system | items/s | claim p50 ms | claim p99 ms | vs raw SQL | vs pg-boss | vs graphile-worker |',
    '|---|---|---|---|---|---|---|---|',
    ...keys.map((k) => {
      const runs = results.filter((x) => x.clients === k.clients && x.system === k.system);
      const p50 = runs.flatMap((x) => (x.claimP50Ms === undefined ? [] : [x.claimP50Ms]));
      const p99 = runs.flatMap((x) => (x.claimP99Ms === undefined ? [] : [x.claimP99Ms]));
      return `| ${k.clients} | ${k.system} | ${Math.round(median(runs.map((x) => x.itemsPerSecond)))} | ${p50.length ? median(p50).toFixed(2) : ''} | ` +
        `${p99.length ? median(p99).toFixed(2) : ''} | ${ratio(k, RAW_SQL)} | ${ratio(k, PG_BOSS)} | ${ratio(k, GRAPHILE)} |`;
    }),
  ];
}

const server = await startEmbeddedPostgres({ maxConnections: 60, settings: { shared_buffers: '512MB', max_wal_size: '4GB' } });
const client = new pg.Client({ connectionString: server.url });
await client.connect();
const results: Round[] = [];
const systems = ([
  ['bulkhead', async (clients: number) => { await resetQueue(client); return benchBulkhead(server.url, clients, client); }],
  ['pgbench', async (clients: number) => { await resetQueue(client); return benchPgbench(server.url, clients); }],
  ['pg-boss', (clients: number) => benchPgBoss(server.url, clients, client, peerRun)],
  ['graphile', (clients: number) => benchGraphile(server.url, clients, client, peerRun)],
] as const).filter(([n]) => SYSTEMS.includes(n));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const clients of CLIENTS) {
      for (const [name, run] of systems) {
        process.stderr.write(`round ${round}, ${clients} client(s): ${name}...\n`);
        const r = await run(clients);
        results.push({ ...r, round });
        process.stderr.write(`  ${Math.round(r.itemsPerSecond)} items/s\n`);
      }
    }
  }
  const lines = [
    `rows: ${ROWS}, batch ${BATCH}, noop processor, PostgreSQL 18 (embedded), ${ROUNDS} round(s), ${new Date().toISOString().slice(0, 10)}`,
    '',
    ...table(results),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(join(resultsDir, `worker-${ROWS}.json`), JSON.stringify({ rows: ROWS, batch: BATCH, rounds: ROUNDS, results }, null, 2));
} finally {
  await client.end();
  await server.stop();
}
