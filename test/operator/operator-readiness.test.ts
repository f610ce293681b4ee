/**
 * Readiness and liveness that tell the truth, on a real control plane: without the CRDs, without RBAC to list them,
 * and with no API server answering, /readyz stays 503 with the reason in its body and in the log (and turns 200 once
 * the CRDs are installed or the RBAC granted, without a restart); the retries against a dead API server come ever
 * further apart; /healthz fails when the work queue has had work and finished none for --stall-seconds, and recovers
 * when a reconcile's API call on a connection gone silent for good gives up (30 s) and is retried.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { installCrds } from '../harness/control-plane.js';
import { waitFor } from '../harness/kubectl.js';
import { kubeconfigThrough, startStallingProxy, type StallingProxy } from '../harness/stalling-proxy.js';
import { jobsStressRun, jobsTableSql, operatorEnv, stopAfterTests, type OperatorEnv, type OperatorProcess } from './operator-fixture.js';

const NS = 'ready';
let env: OperatorEnv;
let proxy: StallingProxy | undefined;

stopAfterTests(() => env);
after(() => proxy?.close());

before(async () => {
  env = await operatorEnv({ maxConnections: 20, namespace: NS, installCrds: false });
});

interface Probe { status: number | undefined; body: string }
const probe = async (op: OperatorProcess, path: '/readyz' | '/healthz'): Promise<Probe> => {
  const res = await fetch(`http://127.0.0.1:${op.port}${path}`).catch(() => undefined);
  return { status: res?.status, body: (await res?.text()) ?? 'no answer' };
};
const waitProbe = (op: OperatorProcess, path: '/readyz' | '/healthz', what: string, done: (p: Probe) => boolean, timeoutMs = 30_000) =>
  waitFor(async () => {
    const p = await probe(op, path);
    return { done: done(p), value: `${path}: ${p.status} ${p.body}\n--- operator output ---\n${op.output().slice(-2000)}` };
  }, { what, timeoutMs }).then(() => probe(op, path));

test('without the CRDs, /readyz is 503 naming them and the log says why; once they are installed it turns 200', async () => {
  const op = await env.startOperator([], 'no-crds', undefined, { waitReady: false });
  // Each watch lists on its own: wait until both CR kinds have had their answer.
  const notReady = await waitProbe(op, '/readyz', '/readyz to name the missing CRDs', (p) => p.status === 503 && (p.body.match(/HTTP 404/g) ?? []).length === 2);
  assert.match(notReady.body, /csvimports\.bulkhead\.dev in namespace ready: HTTP 404: the API server does not serve csvimports\.bulkhead\.dev; is its CustomResourceDefinition installed\?/);
  assert.match(notReady.body, /stressruns\.bulkhead\.dev in namespace ready: HTTP 404/);
  assert.doesNotMatch(notReady.body, /jobs|deployments/, 'the built-in kinds listed fine');
  assert.match(op.output(), /"event":"list-error","what":"csvimports\.bulkhead\.dev","namespace":"ready","err":"HTTP 404[^"]*CustomResourceDefinition/);
  assert.doesNotMatch(op.output(), /"event":"synced"/);

  await installCrds(env.cp.kubeconfig);
  // The next retry comes within the backoff's 30 s cap.
  await waitProbe(op, '/readyz', '/readyz to turn 200 once the CRDs exist', (p) => p.status === 200, 60_000);
  assert.match(op.output(), /"event":"synced"/);
  assert.equal(await op.stop(), 143);
});

test('without RBAC to list the CRs, /readyz is 503 with the API server\'s "forbidden"; granting it makes it ready', async () => {
  const rules = (resources: string[]) => ({ apiGroups: ['batch', 'apps', 'bulkhead.dev'], resources, verbs: ['get', 'list', 'watch'] });
  const role = (resources: string[]) => stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'limited', namespace: NS }, rules: [rules(resources)] });
  await env.k.applyYaml([
    stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'limited', namespace: NS } }),
    role(['jobs', 'deployments']),
    stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'limited', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'limited' }, subjects: [{ kind: 'ServiceAccount', name: 'limited', namespace: NS }] }),
  ].join('---\n'));
  const token = await env.k.kubectl(['create', 'token', 'limited', '-n', NS, '--duration', '1h']);
  assert.equal(token.code, 0, token.stderr);
  const kubeconfig = join(env.cp.dir, 'kubeconfig.limited');
  await writeFile(kubeconfig, kubeconfigFor(env.cp.server, join(env.cp.dir, 'apiserver-certs', 'apiserver.crt'), token.stdout.trim()), { mode: 0o600 });

  const op = await env.startOperator([], 'limited', kubeconfig, { waitReady: false });
  const notReady = await waitProbe(op, '/readyz', '/readyz to say the CRs are forbidden', (p) => p.status === 503 && (p.body.match(/HTTP 403/g) ?? []).length === 2);
  assert.match(notReady.body, /csvimports\.bulkhead\.dev in namespace ready: HTTP 403: csvimports\.bulkhead\.dev is forbidden: User "system:serviceaccount:ready:limited" cannot list resource "csvimports"/);
  assert.match(notReady.body, /the operator's RBAC must allow list and watch on stressruns\.bulkhead\.dev/);
  assert.match(op.output(), /"event":"list-error","what":"stressruns\.bulkhead\.dev","namespace":"ready","err":"HTTP 403: [^"]*forbidden/);

  await env.k.applyYaml(role(['jobs', 'deployments', 'csvimports', 'stressruns']));
  await waitProbe(op, '/readyz', '/readyz to turn 200 once the Role allows the CRs', (p) => p.status === 200, 60_000);
  assert.equal(await op.stop(), 143);
});

test('with no API server answering, /readyz stays 503 with the error, and the retries come ever further apart', async (t) => {
  // An "API server" that takes each connection and drops it, over plain http so the test sees each request's path.
  const attempts = new Map<string, number[]>();
  const dead = createServer((req) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    attempts.set(path, [...(attempts.get(path) ?? []), performance.now()]);
    req.socket.destroy();
  });
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  try {
    const kubeconfig = join(env.cp.dir, 'kubeconfig.dead');
    const server = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await writeFile(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'dead',
      clusters: [{ name: 'dead', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'nobody', user: { token: 'not-a-token' } }],
      contexts: [{ name: 'dead', context: { cluster: 'dead', user: 'nobody' } }],
    }), { mode: 0o600 });
    const op = await env.startOperator([], 'unreachable', kubeconfig, { waitReady: false });
    const started = performance.now();
    const seen: Probe[] = [];
    while (performance.now() - started < 24_000) {
      seen.push(await probe(op, '/readyz'));
      await new Promise((r) => setTimeout(r, 1000));
    }
    const answered = seen.filter((p) => p.status !== undefined);
    assert.ok(answered.length >= 15, `the probe server answered ${answered.length} times`);
    assert.deepEqual([...new Set(answered.map((p) => p.status))], [503], 'never ready');
    assert.match(answered.at(-1)?.body ?? '', /csvimports\.bulkhead\.dev in namespace ready: request to http:\/\/127\.0\.0\.1:\d+\/apis\/bulkhead\.dev\/v1alpha1\/namespaces\/ready\/csvimports failed, reason: socket hang up/);
    assert.match(op.output(), /"event":"list-error","what":"jobs","namespace":"ready","err":"request to [^"]*socket hang up","retryInMs":8000/);

    const times = attempts.get(`/apis/bulkhead.dev/v1alpha1/namespaces/${NS}/csvimports`) ?? [];
    const gaps = times.slice(1).map((at, i) => Math.round(at - (times[i] ?? at)));
    t.diagnostic(`csvimports list attempts over 24 s: ${times.length}, gaps ${gaps.join(', ')} ms; all paths: ${[...attempts.values()].reduce((n, a) => n + a.length, 0)}`);
    // 1, 2, 4, 8 s and then 16 s: five or six attempts in 24 s, not one a second.
    assert.ok(times.length >= 4 && times.length <= 6, `${times.length} attempts`);
    for (let i = 1; i < gaps.length; i++) assert.ok((gaps[i] ?? 0) > 1.5 * (gaps[i - 1] ?? 0), `each gap is about twice the one before: ${gaps.join(', ')}`);
    assert.ok((gaps.at(-1) ?? 0) >= 7000, `the last gap is 8 s or more: ${gaps.join(', ')}`);
    assert.equal(await op.stop(), 143);
  } finally {
    dead.close();
  }
});

test('/healthz fails when the work queue has had work for --stall-seconds without finishing any', async () => {
  await installCrds(env.cp.kubeconfig); // done already by the first test, unless it was skipped
  await env.pool.query(jobsTableSql(100));
  proxy = await startStallingProxy(env.cp.server);
  const op = await env.startOperator(['--stall-seconds', '3'], 'stall', await kubeconfigThrough(env.cp.kubeconfig, proxy.server, 'stall'));
  await env.k.applyYaml(jobsStressRun(NS, 'busy', 1, { processor: { type: 'noop' } }));
  await env.waitStatus<{ observedGeneration?: number }>('stressrun', 'busy', 'to be reconciled', (s) => s.observedGeneration === 1);
  assert.equal((await probe(op, '/healthz')).status, 200);

  // Every reconcile of the StressRun (every second) writes to the API server; with the connection frozen, it hangs.
  proxy.stall();
  const stalled = await waitProbe(op, '/healthz', '/healthz to fail', (p) => p.status === 503);
  assert.match(stalled.body, /^the work queue has had work for \d+s without finishing any \(--stall-seconds 3\)/);
  assert.equal((await probe(op, '/readyz')).status, 200, 'it is still ready: its caches synced');
  // The connections the operator had stay silent for good; only new ones get through. Each API call of a reconcile
  // gives up after 30 s, so the reconcile fails, is retried on a new connection, and the queue moves again.
  proxy.heal();
  await waitProbe(op, '/healthz', '/healthz to turn 200 once a reconcile gives up on its silent connection', (p) => p.status === 200, 75_000);
  await op.stop();
});

function kubeconfigFor(server: string, caFile: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'limited',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'limited', user: { token } }],
    contexts: [{ name: 'limited', context: { cluster: 'test', user: 'limited' } }],
  });
}
