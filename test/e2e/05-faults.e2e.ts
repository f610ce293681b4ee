/**
 * Pods killed on the real node, as a node failure or an impatient user would: an import's pod force-deleted in the
 * middle of its merge (the Job's next pod converges on exactly the file's rows), and a worker pod force-deleted while
 * it holds claimed rows (its lease runs out, the other worker takes them over, and no row is lost).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../harness/kubectl.js';
import { advertisersCsv, advertisersImport, advertisersTable, creativesQueue, creativesStressRun, hostPathClaim, kubectlOk, pods, queueCounts, running, scenario, waitStatus } from './e2e-env.js';

const NS = 'e2e-faults';
const ROWS = 150_000;
const EXISTING = 10_000;
const db = await scenario(NS);
await advertisersTable(db.pool, EXISTING);
await hostPathClaim(NS, 'fault-data', { 'advertisers.csv': advertisersCsv(1, ROWS) });

interface ImportStatus { phase?: string; rows?: { read?: number; inserted?: number; updated?: number; unchanged?: number }; conditions?: { type: string; message: string }[] }

test('an import pod force-deleted mid-merge: the Job retries and the target holds exactly the file\'s rows', async () => {
  // Small chunks make the merge long enough to kill it in the middle; the first EXISTING ids already exist.
  await kubectlOk(['apply', '-f', '-'], advertisersImport(NS, 'killed', { persistentVolumeClaim: { claimName: 'fault-data', path: 'advertisers.csv' } }, { merge: { chunkRows: 2000 } }));
  const progress = await waitFor(async () => {
    const { rows } = await db.pool.query<{ phase: string; rows_done: string }>("SELECT phase, rows_done FROM bulkhead.import_progress WHERE import = $1", [`${NS}/killed`]).catch(() => ({ rows: [] }));
    return { done: rows[0]?.phase === 'merge' && Number(rows[0].rows_done) > 0, value: rows[0] ?? 'no progress row yet' };
  }, { what: 'the merge to commit its first chunks', timeoutMs: 180_000, intervalMs: 100 });
  const [first] = (await pods(NS, 'bulkhead.dev/csvimport=killed')).filter(running);
  assert.ok(first, 'the import pod runs');
  await kubectlOk(['-n', NS, 'delete', 'pod', first.metadata.name, '--force', '--grace-period=0']);
  const { rows: partial } = await db.pool.query<{ n: string }>('SELECT count(*) n FROM advertisers');
  assert.ok(Number(partial[0]?.n) < ROWS, `killed with ${partial[0]?.n} rows merged (progress ${JSON.stringify(progress)})`);

  const done = await waitStatus<ImportStatus>('csvimport', 'killed', NS, 'to finish after the retry', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 300_000);
  assert.equal(done.phase, 'Succeeded', JSON.stringify(done.conditions));
  const all = await pods(NS, 'bulkhead.dev/csvimport=killed');
  assert.ok(all.every((p) => p.metadata.name !== first.metadata.name), 'the killed pod is gone; the Job ran another');
  const { rows } = await db.pool.query<{ n: string; lo: string; hi: string; named: string }>(
    "SELECT count(*) n, min(advertiser_id) lo, max(advertiser_id) hi, count(*) FILTER (WHERE advertiser_name = 'Advertiser ' || advertiser_id || ', Inc.') named FROM advertisers");
  assert.deepEqual(rows[0], { n: String(ROWS), lo: '1', hi: String(ROWS), named: String(ROWS) }, 'every row of the file, once, with the file\'s values');
});

test('a worker pod force-deleted while it holds claims: the rows come back after their lease and none is lost', async () => {
  const QUEUE = 3000;
  await creativesQueue(db, QUEUE);
  await kubectlOk(['apply', '-f', '-'], creativesStressRun(NS, 'creatives', 2, { leaseSeconds: 5, batchSize: 20, maxAttempts: 5 }, { sleep: { minMs: 200, maxMs: 600, failureRate: 0 } }));
  const victim = await waitFor(async () => {
    const list = (await pods(NS, 'bulkhead.dev/stressrun=creatives')).filter(running);
    const { rows } = await db.pool.query<{ locked_by: string; n: string }>("SELECT locked_by, count(*) n FROM creatives_fresh WHERE status = 'processing' GROUP BY 1");
    const holder = list.find((p) => rows.some((r) => r.locked_by === p.metadata.name && Number(r.n) > 0));
    return { done: list.length === 2 && holder !== undefined, value: holder?.metadata.name ?? JSON.stringify(rows) };
  }, { what: 'a worker pod holding claimed rows', timeoutMs: 120_000, intervalMs: 100 });
  await kubectlOk(['-n', NS, 'delete', 'pod', victim, '--force', '--grace-period=0']);
  const held = await db.pool.query<{ n: string }>("SELECT count(*) n FROM creatives_fresh WHERE status = 'processing' AND locked_by = $1", [victim]);
  process.stderr.write(`worker ${victim} killed holding ${held.rows[0]?.n} rows\n`);

  const final = await waitFor(async () => {
    const c = await queueCounts(db.pool);
    return { done: (c.completed ?? 0) + (c.failed ?? 0) === QUEUE, value: c };
  }, { what: `all ${QUEUE} queue rows finished`, timeoutMs: 300_000, intervalMs: 1000 });
  assert.deepEqual(final, { completed: QUEUE }, 'every row completed, none failed or lost');
  await kubectlOk(['-n', NS, 'delete', 'stressrun', 'creatives', '--wait=true']);
});
