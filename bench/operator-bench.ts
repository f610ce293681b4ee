/**
 * `npm run bench:operator [-- --imports 200] [--steady 500] [--steady-seconds 60] [--node-flags "…"]`: the operator on a real
 * control plane (the operator tests' harness, no kubelet, so Jobs stay active and the measure is the
 * operator's alone) against an embedded PostgreSQL with room for every grant.
 *
 * 1. Reconcile latency: CsvImports are created one at a time through the API (what `kubectl apply` sends);
 *    the latency of each is from just before its create request to the moment a watch delivers its Job.
 *    Reports the median and p99.
 * 2. Steady state: with --steady CsvImports in place (each admitted, with a Job), the operator's RSS and CPU
 *    over --steady-seconds of resyncs, read from /proc.
 * Writes bench/results/operator.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Watch, type V1Job } from '@kubernetes/client-node';
import { DATABASE_SECRET_LABEL } from '../operator/database/database-secret.js';
import { freePort, startEmbeddedPostgres } from '../runners/shared/embedded-postgres.js';
import { startControlPlane } from '../test/harness/control-plane.js';
import { CLI } from '../test/harness/run-cli.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1] ?? fallback) : fallback;
};
const IMPORTS = arg('--imports', 200);
const STEADY = arg('--steady', 500);
const STEADY_SECONDS = arg('--steady-seconds', 60);
const NS = 'bench';
// Node flags for the operator process, as the chart's operator container passes them (see values.yaml nodeFlags).
const NODE_FLAGS = (process.argv.includes('--node-flags') ? process.argv[process.argv.indexOf('--node-flags') + 1] ?? '' : '--optimize-for-size --max-semi-space-size=1').split(' ').filter(Boolean);
const root = fileURLToPath(new URL('../../', import.meta.url));

const cp = await startControlPlane();
const pgServer = await startEmbeddedPostgres({ maxConnections: STEADY + 50, settings: { fsync: 'off' } });
const kc = new KubeConfig();
kc.loadFromFile(cp.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const batch = kc.makeApiClient(BatchV1Api);
await core.createNamespace({ body: { metadata: { name: NS } } });
await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'pg-app', labels: { [DATABASE_SECRET_LABEL]: 'true' } }, stringData: { uri: pgServer.url } } });

const port = await freePort();
const operator = spawn(process.execPath, [...NODE_FLAGS, CLI, 'operator', '--kubeconfig', cp.kubeconfig, '--namespaces', NS, '--port', String(port), '--headroom', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
let operatorLog = '';
operator.stderr.on('data', (d: Buffer) => (operatorLog = (operatorLog + d.toString()).slice(-20_000)));
for (let i = 0; ; i++) {
  const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
  if (ok) break;
  if (i > 300) throw new Error(`the operator did not become ready:\n${operatorLog}`);
  await new Promise((r) => setTimeout(r, 100));
}

const jobSeen = new Map<string, number>();
const waiters = new Map<string, () => void>();
await new Watch(kc).watch(`/apis/batch/v1/namespaces/${NS}/jobs`, {}, (type: string, job: V1Job) => {
  const owner = job.metadata?.labels?.['bulkhead.dev/csvimport'];
  if (type === 'ADDED' && owner && !jobSeen.has(owner)) {
    jobSeen.set(owner, performance.now());
    waiters.get(owner)?.();
  }
}, () => undefined);

const csvImport = (name: string) => ({
  apiVersion: 'bulkhead.dev/v1alpha1',
  kind: 'CsvImport',
  metadata: { name, namespace: NS },
  spec: { database: { secretRef: { name: 'pg-app' } }, source: { url: `http://127.0.0.1:9/${name}.csv` }, target: { table: 'items', key: ['id'] } },
});

const latencies: number[] = [];
for (let i = 0; i < IMPORTS; i++) {
  const name = `latency-${i}`;
  const seen = new Promise<void>((resolve) => waiters.set(name, resolve));
  const start = performance.now();
  await custom.createNamespacedCustomObject({ group: 'bulkhead.dev', version: 'v1alpha1', namespace: NS, plural: 'csvimports', body: csvImport(name) });
  await seen;
  latencies.push((jobSeen.get(name) ?? start) - start);
}
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;

for (let i = IMPORTS; i < STEADY; i++) {
  await custom.createNamespacedCustomObject({ group: 'bulkhead.dev', version: 'v1alpha1', namespace: NS, plural: 'csvimports', body: csvImport(`steady-${i}`) });
}
for (let i = 0; ; i++) {
  const jobs = await batch.listNamespacedJob({ namespace: NS });
  if (jobs.items.length >= STEADY) break;
  if (i > 600) throw new Error(`only ${jobs.items.length} of ${STEADY} Jobs after 10 minutes`);
  await new Promise((r) => setTimeout(r, 1000));
}
const cpuTicks = () => {
  const fields = readFileSync(`/proc/${operator.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 per second)
};
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${operator.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const ticks0 = cpuTicks();
let peakRss = 0;
for (let s = 0; s < STEADY_SECONDS; s++) {
  peakRss = Math.max(peakRss, rssMb());
  await new Promise((r) => setTimeout(r, 1000));
}
const cpuPercent = ((cpuTicks() - ticks0) / 100 / STEADY_SECONDS) * 100;
const own = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
const gauge = (name: string) => Math.round(Number(new RegExp(`^${name} ([\\d.e+]+)`, 'm').exec(own)?.[1] ?? NaN) / 1048576);

const result = {
  date: new Date().toISOString(),
  nodeFlags: NODE_FLAGS.join(' '),
  imports: IMPORTS,
  latencyMs: { median: Math.round(pct(50)), p99: Math.round(pct(99)), max: Math.round(latencies.at(-1) ?? NaN) },
  steady: {
    crs: STEADY, seconds: STEADY_SECONDS, peakRssMb: Math.round(peakRss), endRssMb: Math.round(rssMb()), cpuPercentOfOneCore: Math.round(cpuPercent * 10) / 10,
    heapUsedMb: gauge('nodejs_heap_size_used_bytes'), heapTotalMb: gauge('nodejs_heap_size_total_bytes'), externalMb: gauge('nodejs_external_memory_bytes'),
  },
};
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'operator.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`| CsvImports | median apply→Job ms | p99 ms | max ms | steady CRs | operator peak RSS MB | operator CPU % of a core |\n|---|---|---|---|---|---|---|\n`);
process.stdout.write(`${JSON.stringify(result.steady)}\n`);
process.stdout.write(`| ${IMPORTS} | ${result.latencyMs.median} | ${result.latencyMs.p99} | ${result.latencyMs.max} | ${STEADY} | ${result.steady.peakRssMb} | ${result.steady.cpuPercentOfOneCore} |\n`);
operator.kill('SIGTERM');
await new Promise((r) => operator.once('exit', r));
await cp.stop();
await pgServer.stop();
process.exit(0);
