/**
 * The worker benchmark's peers: pg-boss 12 and graphile-worker, each filled with the same number of jobs through
 * its own API and drained by N consumer processes (pgboss-drainer.ts, graphile-drainer.ts) with a noop handler.
 */
import { join } from 'node:path';
import type pg from 'pg';
import { PgBoss } from 'pg-boss';
import { makeWorkerUtils, runMigrations } from 'graphile-worker';
import { lastJsonLine, runAll } from './run-children.js';

/** One system's drain of the queue. */
export interface BenchResult {
  system: string;
  clients: number;
  seconds: number;
  itemsPerSecond: number;
  claimP50Ms?: number;
  claimP99Ms?: number;
  note?: string;
}

/** Where the drainers are, how many jobs to queue and how many to claim at once. */
export interface PeerRun {
  distDir: string;
  rows: number;
  batch: number;
}

const CHUNK = 10_000;
export const PG_BOSS = 'pg-boss 12';
export const GRAPHILE = 'graphile-worker';

/** Calls add(offset, count) for consecutive chunks covering rows. */
async function inChunks(rows: number, add: (offset: number, count: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows; i += CHUNK) await add(i, Math.min(CHUNK, rows - i));
}

/** Spawns the drainers, times them from spawn to exit, and checks that together they finished every job. */
async function drain(name: string, run: PeerRun, clients: number, script: string, args: string[]): Promise<BenchResult> {
  const start = performance.now();
  const outs = await runAll(Array.from({ length: clients }, () => ({ cmd: process.execPath, args: [join(run.distDir, script), ...args] })));
  const seconds = (performance.now() - start) / 1000;
  const total = outs.reduce((n, o) => n + lastJsonLine<{ done: number }>(o).done, 0);
  if (total !== run.rows) throw new Error(`${name} completed ${total} of ${run.rows}`);
  return { system: name, clients, seconds, itemsPerSecond: run.rows / seconds };
}

export async function benchPgBoss(url: string, clients: number, client: pg.Client, run: PeerRun): Promise<BenchResult> {
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
  await boss.start();
  await boss.deleteQueue('bench').catch(() => undefined);
  await boss.createQueue('bench');
  await inChunks(run.rows, (i, n) => boss.insert('bench', Array.from({ length: n }, (_, k) => ({ data: { url: `http://example.invalid/${i + k}` } }))));
  await boss.stop({ graceful: false });
  // The same courtesy the others get: fresh statistics and a checkpoint after the bulk insert.
  await client.query('VACUUM ANALYZE pgboss.job');
  await client.query('CHECKPOINT');
  return drain(PG_BOSS, run, clients, 'pgboss-drainer.js', [url, 'bench', String(run.batch)]);
}

export async function benchGraphile(url: string, clients: number, client: pg.Client, run: PeerRun): Promise<BenchResult> {
  await client.query('DROP SCHEMA IF EXISTS graphile_worker CASCADE');
  await runMigrations({ connectionString: url });
  const utils = await makeWorkerUtils({ connectionString: url });
  try {
    await inChunks(run.rows, (i, n) => utils.addJobs(Array.from({ length: n }, (_, k) => ({ identifier: 'bench', payload: { url: `http://example.invalid/${i + k}` } }))));
  } finally {
    await utils.release();
  }
  await client.query('VACUUM ANALYZE graphile_worker._private_jobs');
  await client.query('CHECKPOINT');
  return drain(GRAPHILE, run, clients, 'graphile-drainer.js', [url, 'bench', String(run.batch)]);
}
