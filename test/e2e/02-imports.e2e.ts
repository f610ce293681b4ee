/**
 * CsvImports on the real node, in a namespace that enforces the restricted Pod Security Standard: from a
 * ConfigMap and from a PersistentVolumeClaim (a hostPath PersistentVolume bound by the PV controller). The rows land,
 * and the counts in `kubectl get csvi` came back through the container's real termination message. A bad row fails
 * the Job at once (exit 2) with the line named and nothing merged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advertisersCsv, advertisersImport, advertisersTable, configMapFile, hostPathClaim, kubectlOk, NODE_NAME, pods, scenario, waitStatus } from './e2e-env.js';

const NS = 'e2e-imports';
const db = await scenario(NS);
await advertisersTable(db.pool);

interface ImportStatus {
  phase?: string;
  rows?: { read?: number; rejected?: number; inserted?: number; updated?: number; unchanged?: number };
  conditions?: { type: string; status: string; reason: string; message: string }[];
}
const finished = (s: ImportStatus) => s.phase === 'Succeeded' || s.phase === 'Failed';

/** `kubectl get csvi NAME` as a user reads it: the printer columns by name. */
async function printed(name: string): Promise<Record<string, string>> {
  const [header = '', row = ''] = (await kubectlOk(['-n', NS, 'get', 'csvi', name])).trim().split('\n');
  const names = header.trim().split(/\s+/);
  const values = row.trim().split(/\s+/);
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
}

test('a CsvImport from a ConfigMap: the rows land, and kubectl get csvi shows the counts from the termination message', async () => {
  await configMapFile(NS, 'advertisers-csv', 'advertisers.csv', advertisersCsv(1, 300));
  await kubectlOk(['apply', '-f', '-'], advertisersImport(NS, 'from-configmap', { configMap: { name: 'advertisers-csv', key: 'advertisers.csv' } }, { merge: { chunkRows: 100 } }));
  const s = await waitStatus<ImportStatus>('csvimport', 'from-configmap', NS, 'to finish', finished);
  assert.equal(s.phase, 'Succeeded', JSON.stringify(s.conditions));
  assert.deepEqual({ read: s.rows?.read, inserted: s.rows?.inserted, rejected: s.rows?.rejected }, { read: 300, inserted: 300, rejected: 0 });
  const { rows } = await db.pool.query<{ n: string; lo: string; hi: string }>('SELECT count(*) n, min(advertiser_id) lo, max(advertiser_id) hi FROM advertisers');
  assert.deepEqual(rows[0], { n: '300', lo: '1', hi: '300' });
  const cols = await printed('from-configmap');
  assert.deepEqual({ phase: cols.PHASE, rows: cols.ROWS, rejected: cols.REJECTED }, { phase: 'Succeeded', rows: '300', rejected: '0' });

  // The counts came from the real container: its termination message is the summary line.
  const [pod] = await pods(NS, 'bulkhead.dev/csvimport=from-configmap');
  assert.equal(pod?.spec.nodeName, NODE_NAME);
  const terminated = pod?.status.containerStatuses?.[0]?.state?.terminated;
  assert.equal(terminated?.exitCode, 0);
  const summary = JSON.parse(terminated?.message ?? '{}') as { event?: string; rowsRead?: number; rowsInserted?: number };
  assert.deepEqual({ event: summary.event, read: summary.rowsRead, inserted: summary.rowsInserted }, { event: 'summary', read: 300, inserted: 300 });
});

test('a CsvImport from a PersistentVolumeClaim on a hostPath volume: bound, mounted read-only, imported', async () => {
  await hostPathClaim(NS, 'csv-data', { 'exports/advertisers.csv': advertisersCsv(1001, 1400) });
  await kubectlOk(['apply', '-f', '-'], advertisersImport(NS, 'from-pvc', { persistentVolumeClaim: { claimName: 'csv-data', path: 'exports/advertisers.csv' } }));
  const s = await waitStatus<ImportStatus>('csvimport', 'from-pvc', NS, 'to finish', finished);
  assert.equal(s.phase, 'Succeeded', JSON.stringify(s.conditions));
  assert.deepEqual({ read: s.rows?.read, inserted: s.rows?.inserted }, { read: 400, inserted: 400 });
  const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) n FROM advertisers WHERE advertiser_id BETWEEN 1001 AND 1400');
  assert.equal(rows[0]?.n, '400');
  assert.equal((await printed('from-pvc')).ROWS, '400');
});

test('a CsvImport applied with bulkhead.dev/paused waits before its first chunk, holding no lock; without the annotation it finishes in the same run', async () => {
  await configMapFile(NS, 'paused-csv', 'advertisers.csv', advertisersCsv(5001, 5600));
  await kubectlOk(['apply', '-f', '-'], advertisersImport(NS, 'paused', { configMap: { name: 'paused-csv', key: 'advertisers.csv' } },
    { merge: { chunkRows: 100, pacing: { maxLockWaiters: 5 } } }, { 'bulkhead.dev/paused': 'true' }));
  const paused = await waitStatus<ImportStatus & { pacing?: { state?: string }; jobName?: string }>('csvimport', 'paused', NS, 'to report its pause', (s) => s.pacing?.state === 'Paused');
  assert.equal(paused.phase, 'Running');
  const merged = async () => (await db.pool.query<{ n: string }>('SELECT count(*) n FROM advertisers WHERE advertiser_id BETWEEN 5001 AND 5600')).rows[0]?.n;
  assert.equal(await merged(), '0', 'paused before its first chunk');
  const { rows: locks } = await db.pool.query("SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'bulkhead/import/e2e-imports/paused' AND l.relation = 'advertisers'::regclass");
  assert.deepEqual(locks, [], 'no lock on the target while paused');
  await kubectlOk(['-n', NS, 'annotate', 'csvimport', 'paused', 'bulkhead.dev/paused-']);
  const s = await waitStatus<ImportStatus & { jobName?: string }>('csvimport', 'paused', NS, 'to finish', finished);
  assert.equal(s.phase, 'Succeeded', JSON.stringify(s.conditions));
  assert.equal(s.jobName, paused.jobName, 'resumed in the same run, not a new Job');
  assert.equal(s.rows?.inserted, 600);
  assert.equal(await merged(), '600');
});

test('a bad row fails the import at once with exit code 2, the line and column in the condition, and nothing merged', async () => {
  const csv = `${advertisersCsv(2001, 2050)}2051,Bad Row,US,2026-01-01T00:00:00Z,abc\n`;
  await configMapFile(NS, 'advertisers-bad', 'advertisers.csv', csv);
  await kubectlOk(['apply', '-f', '-'], advertisersImport(NS, 'bad-row', { configMap: { name: 'advertisers-bad', key: 'advertisers.csv' } }));
  const s = await waitStatus<ImportStatus>('csvimport', 'bad-row', NS, 'to finish', finished);
  assert.equal(s.phase, 'Failed');
  const messages = (s.conditions ?? []).map((c) => c.message).join('\n');
  assert.match(messages, /configMap advertisers-bad\/advertisers\.csv:52:5 \(column "spend"\): invalid input syntax for type numeric/, messages);
  const all = await pods(NS, 'bulkhead.dev/csvimport=bad-row');
  assert.equal(all.length, 1, 'exit 2 fails the Job without a retry');
  assert.equal(all[0]?.status.containerStatuses?.[0]?.state?.terminated?.exitCode, 2);
  const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) n FROM advertisers WHERE advertiser_id BETWEEN 2001 AND 2051');
  assert.equal(rows[0]?.n, '0');
});

test('an import whose pod cannot be scheduled (its claim does not exist) says so in its status and a Warning Event', async () => {
  await kubectlOk(['apply', '-f', '-'], advertisersImport(NS, 'no-claim', { persistentVolumeClaim: { claimName: 'missing', path: 'advertisers.csv' } }));
  const s = await waitStatus<ImportStatus>('csvimport', 'no-claim', NS, 'to show PodBlocked', (x) => x.conditions?.some((c) => c.type === 'PodBlocked' && c.status === 'True') === true);
  const blocked = s.conditions?.find((c) => c.type === 'PodBlocked');
  assert.equal(blocked?.reason, 'Unschedulable');
  assert.match(blocked?.message ?? '', /persistentvolumeclaim "missing" not found/);
  const events = await kubectlOk(['-n', NS, 'get', 'events', '--field-selector', 'involvedObject.kind=CsvImport,involvedObject.name=no-claim,type=Warning', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  assert.match(events, /^Unschedulable: pod no-claim-\w+-\w+: .*persistentvolumeclaim "missing" not found/m);
  await kubectlOk(['-n', NS, 'delete', 'csvimport', 'no-claim', '--wait=true']);
});
