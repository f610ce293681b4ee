/**
 * The seed scenario on the real node, inside the connection budget of a small server (max_connections 20): an
 * import merges 300,000 rows into advertisers while a StressRun that asks for more workers than fit drains
 * creatives_fresh. A sampler reads pg_stat_activity, then the grants in the CRs' statuses, over and over: the runners'
 * sessions never outnumber the grant (or, while the budget takes workers back, the grant of a moment before), and the
 * server never runs out of connections.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../harness/kubectl.js';
import { customObjects, status, advertisersCsv, advertisersImport, advertisersTable, creativesQueue, creativesStressRun, hostPathClaim, kubectlOk, queueCounts, scenario, waitStatus } from './e2e-env.js';

const NS = 'e2e-seed';
const NEW_ROWS = 300_000;
const EXISTING = 20_000;
const QUEUE_ROWS = 20_000;
const db = await scenario(NS);
await advertisersTable(db.pool, EXISTING);
await creativesQueue(db, QUEUE_ROWS);
// The new rows follow the existing ones, and the first 1,000 overlap them: inserts and updates.
await hostPathClaim(NS, 'seed-data', { 'advertisers.csv': advertisersCsv(EXISTING - 999, EXISTING + NEW_ROWS - 1000) });

interface Condition { type: string; status: string; message: string }
interface StressStatus { workers?: number; grantedWorkers?: number; conditions?: Condition[] }
interface ImportStatus { phase?: string; grantedConnections?: number; rows?: { read?: number; inserted?: number; updated?: number }; conditions?: Condition[] }

/** One look at the server, then at the grants that the CRs' statuses record (written before any pod starts). */
interface Sample { runnerSessions: number; clientSessions: number; granted: number; imports: number; at: number }

async function sample(): Promise<Sample> {
  // Only client backends take a connection slot: the parallel workers of the import's CREATE INDEX or SELECT carry
  // its application_name too, but are background workers (max_worker_processes), not connections.
  const { rows } = await db.pool.query<{ runners: string; imports: string; clients: string }>(`SELECT
      count(*) FILTER (WHERE application_name LIKE 'bulkhead/import/%' OR application_name LIKE 'bulkhead/worker/%') AS runners,
      count(*) FILTER (WHERE application_name LIKE 'bulkhead/import/%') AS imports,
      count(*) AS clients
    FROM pg_stat_activity WHERE backend_type = 'client backend'`);
  type Granted = { items: { spec: { connectionsPerWorker?: number }; status?: { grantedConnections?: number; grantedWorkers?: number } }[] };
  const list = async (plural: string) => (await customObjects.listClusterCustomObject({ group: 'bulkhead.dev', version: 'v1alpha1', plural })) as Granted;
  const [imports, runs] = await Promise.all([list('csvimports'), list('stressruns')]);
  const granted = imports.items.reduce((n, cr) => n + (cr.status?.grantedConnections ?? 0), 0)
    + runs.items.reduce((n, cr) => n + (cr.status?.grantedWorkers ?? 0) * (cr.spec.connectionsPerWorker ?? 1), 0);
  return { runnerSessions: Number(rows[0]?.runners), clientSessions: Number(rows[0]?.clients), granted, imports: Number(rows[0]?.imports), at: Date.now() };
}

test('an import and an over-asking StressRun share a max_connections 20 server: sessions never exceed the grant in force', async () => {
  // The test's two connections (kept open) are opened first, so they are steady external load from the start: a
  // connection opened later would shrink the capacity, and the operator would take a worker back.
  await Promise.all([db.pool.query('SELECT pg_sleep(0.1)'), db.pool.query('SELECT pg_sleep(0.1)')]);
  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await sample());
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await kubectlOk(['apply', '-f', '-'], advertisersImport(NS, 'advertisers', { persistentVolumeClaim: { claimName: 'seed-data', path: 'advertisers.csv' } }, {
      merge: { chunkRows: 5000 },
      target: { table: 'public.advertisers', key: ['advertiser_id'], transforms: { advertiser_name_normalized: { normalize: 'advertiser_name' } } },
    }));
    await waitStatus<ImportStatus>('csvimport', 'advertisers', NS, 'to be granted its connection', (s) => (s.grantedConnections ?? 0) > 0);
    await kubectlOk(['apply', '-f', '-'], creativesStressRun(NS, 'creatives', 30, {}, { sleep: { minMs: 50, maxMs: 200, failureRate: 0 } }));
    const limited = await waitStatus<StressStatus>('stressrun', 'creatives', NS, 'to run the workers that fit', (s) =>
      s.conditions?.find((c) => c.type === 'BudgetLimited')?.status === 'True' && (s.workers ?? 0) > 0 && s.workers === s.grantedWorkers);
    assert.ok((limited.grantedWorkers ?? 0) < 30, `granted ${limited.grantedWorkers} of 30`);
    const completedBefore = (await queueCounts(db.pool)).completed ?? 0;
    const overlapping = await status<ImportStatus>('csvimport', 'advertisers', NS);
    assert.equal(overlapping?.phase, 'Running', 'the import still runs once the workers do (else the scenario shows nothing)');

    const done = await waitStatus<ImportStatus>('csvimport', 'advertisers', NS, 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 300_000);
    assert.equal(done.phase, 'Succeeded', JSON.stringify(done.conditions));
    assert.deepEqual({ read: done.rows?.read, inserted: done.rows?.inserted, updated: done.rows?.updated }, { read: NEW_ROWS, inserted: NEW_ROWS - 1000, updated: 1000 });
    const completedDuring = ((await queueCounts(db.pool)).completed ?? 0) - completedBefore;
    assert.ok(completedDuring > 0, 'the workers kept completing rows while the import ran');
    // Once the import has let go of its connection, the StressRun grows into it.
    await waitStatus<StressStatus>('stressrun', 'creatives', NS, 'to grow after the import', (s) => (s.grantedWorkers ?? 0) > (limited.grantedWorkers ?? 0));
  } finally {
    sampling = false;
    await sampler;
  }
  const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) n FROM advertisers');
  assert.equal(rows[0]?.n, String(EXISTING + NEW_ROWS - 1000));

  const busiest = samples.reduce((a, b) => (b.runnerSessions > a.runnerSessions ? b : a));
  process.stderr.write(`seed on the node: ${samples.length} samples; busiest: ${JSON.stringify(busiest)}\n`);
  assert.ok(samples.length > 20 && busiest.runnerSessions > 1, 'the sampler saw the runners at work');
  // When other load grows (the operator's own session for this Secret, say), the budget takes workers back: the grant
  // drops first and the workers stop after it. So a sample may see more sessions than the grant just lowered, but
  // never more than a grant in force during the last CUT_BACK_MS, and the server never runs out of connections.
  const CUT_BACK_MS = 10_000;
  let overshoots = 0;
  for (const [i, s] of samples.entries()) {
    const recent = samples.slice(0, i + 1).filter((r) => s.at - r.at <= CUT_BACK_MS);
    const allowed = Math.max(...recent.map((r) => r.granted));
    if (s.runnerSessions > s.granted) overshoots++;
    assert.ok(s.runnerSessions <= allowed, `runner sessions ${s.runnerSessions} > every grant of the last ${CUT_BACK_MS} ms (${allowed}) in sample ${i}: ${JSON.stringify(samples.slice(Math.max(0, i - 5), i + 5))}`);
    assert.ok(s.clientSessions <= 17, `${s.clientSessions} client sessions on a server with 17 usable slots`);
  }
  process.stderr.write(`seed on the node: ${overshoots} samples saw more runner sessions than a grant lowered just before\n`);
  await kubectlOk(['-n', NS, 'delete', 'stressrun', 'creatives', '--wait=true']);
  await waitFor(async () => {
    const c = await queueCounts(db.pool);
    return { done: (c.processing ?? 0) === 0, value: c };
  }, { what: 'no row left processing after the workers stopped' });
});
