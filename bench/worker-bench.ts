/**
 * `npm run bench:worker [-- --rows N] [--clients 1,3,8] [--systems bulkhead,pgbench,pg-boss]`: the bulkhead worker against (a) the raw SQL ceiling,
 * pgbench running the same claim-and-complete SQL with the same batch size and client count, and (b) pg-boss
 * (batch fetch + complete) on the same server, all with a noop processor, side by side in one run.
 * Needs `pgbench` on PATH (Debian: postgresql-15 or postgresql-client's contrib). Prints a Markdown table and
 * writes bench/results/worker.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { startEmbeddedPostgres } from '../runners/shared/embedded-postgres.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const ROWS = Number(arg('--rows', '1000000'));
const CLIENTS = arg('--clients', '1,3,8').split(',').map(Number);
const SYSTEMS = arg('--systems', 'bulkhead,pgbench,pg-boss').split(',');
const BATCH = 20;
const root = fileURLToPath(new URL('../../', import.meta.url));
const resultsDir = join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });

/** Runs children to completion; resolves with their stdout. */
function runAll(commands: { cmd: string; args: string[]; env?: NodeJS.ProcessEnv }[]): Promise<string[]> {
  return Promise.all(commands.map(({ cmd, args, env }) => new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out + err) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`))));
  })));
}

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

interface Result { system: string; clients: number; seconds: number; itemsPerSecond: number; claimP50Ms?: number; claimP99Ms?: number; note?: string }

async function benchBulkhead(url: string, clients: number, _client: pg.Client): Promise<Result> {
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

function benchPgbench(url: string, clients: number, _client: pg.Client): Promise<Result> {
  const script = join(resultsDir, 'claim-complete.sql');
  // The worker's own claim and completion statements, with the ids carried from one to the other.
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
  return Promise.resolve({ system: 'raw SQL (pgbench)', clients, seconds, itemsPerSecond: ROWS / seconds, claimP50Ms: claimAvg, note: 'claim latency is pgbench\'s per-statement average' });
}

async function benchPgBoss(url: string, clients: number, client: pg.Client): Promise<Result> {
  const boss = new PgBoss({ connectionString: url, max: 4, supervise: false, schedule: false });
  await boss.start();
  await boss.deleteQueue('bench').catch(() => undefined);
  await boss.createQueue('bench');
  for (let i = 0; i < ROWS; i += 10_000) {
    await boss.insert(Array.from({ length: Math.min(10_000, ROWS - i) }, (_, k) => ({ name: 'bench', data: { url: `http://example.invalid/${i + k}` } })));
  }
  await boss.stop({ graceful: false, wait: true });
  // The same courtesy the other two get: fresh statistics after the bulk insert.
  await client.query('VACUUM ANALYZE pgboss.job');
  const drainer = join(root, 'dist', 'bench', 'pgboss-drainer.js');
  const start = performance.now();
  const outs = await runAll(Array.from({ length: clients }, () => ({ cmd: process.execPath, args: [drainer, url, 'bench', String(BATCH)] })));
  const seconds = (performance.now() - start) / 1000;
  const done = outs.map((o) => JSON.parse(o.trim().split('\n').pop() ?? '{}') as { done: number; fetchP50: number; fetchP99: number });
  const total = done.reduce((n, d) => n + d.done, 0);
  if (total !== ROWS) throw new Error(`pg-boss completed ${total} of ${ROWS}`);
  return { system: 'pg-boss 10', clients, seconds, itemsPerSecond: ROWS / seconds,
    claimP50Ms: (done.reduce((a, d) => a + d.fetchP50, 0) / done.length) * 1000, claimP99Ms: Math.max(...done.map((d) => d.fetchP99)) * 1000,
    note: 'claim latency is fetch() measured in the client' };
}

const server = await startEmbeddedPostgres({ maxConnections: 60, settings: { shared_buffers: '512MB', max_wal_size: '4GB' } });
const client = new pg.Client({ connectionString: server.url });
await client.connect();
const results: Result[] = [];
try {
  for (const clients of CLIENTS) {
    const systems = ([['bulkhead', benchBulkhead], ['pgbench', benchPgbench], ['pg-boss', benchPgBoss]] as const).filter(([n]) => SYSTEMS.includes(n));
    for (const [name, run] of systems) {
      process.stderr.write(`${clients} client(s): ${name}...\n`);
      if (name !== 'pg-boss') await resetQueue(client);
      const r = await run(server.url, clients, client);
      results.push(r);
      process.stderr.write(`  ${Math.round(r.itemsPerSecond)} items/s\n`);
    }
  }
  const lines = [
    `rows: ${ROWS}, batch ${BATCH}, noop processor, PostgreSQL 18 (embedded), ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| clients | system | items/s | claim p50 ms | claim p99 ms | vs raw SQL | vs pg-boss |',
    '|---|---|---|---|---|---|---|',
    ...results.map((r) => {
      const raw = results.find((x) => x.clients === r.clients && x.system.startsWith('raw'));
      const boss = results.find((x) => x.clients === r.clients && x.system.startsWith('pg-boss'));
      const ratio = (other: Result | undefined): string => (other ? `${(r.itemsPerSecond / other.itemsPerSecond).toFixed(2)}x` : '');
      return `| ${r.clients} | ${r.system} | ${Math.round(r.itemsPerSecond)} | ${r.claimP50Ms?.toFixed(2) ?? ''} | ${r.claimP99Ms?.toFixed(2) ?? ''} | ${ratio(raw)} | ${ratio(boss)} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(join(resultsDir, `worker-${ROWS}.json`), JSON.stringify({ rows: ROWS, batch: BATCH, results }, null, 2));
} finally {
  await client.end();
  await server.stop();
}
