/**
 * Operation on a real control plane: two replicas elect one leader on a Lease and the other takes over when
 * the leader stops; the operator survives a restart of the API server; the metrics endpoint shows backends
 * waiting on a lock that the test holds.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { waitFor } from '../harness/kubectl.js';
import { itemsCsv, itemsImport, jobsStressRun, jobsTableSql, operatorEnv, stopAfterTests, type OperatorEnv, type OperatorProcess } from './operator-fixture.js';

interface ImportStatus { phase?: string; rows?: { inserted?: number } }
interface StressStatus { workers?: number; queue?: { completed?: number } }

const NS = 'ops';
/**
 * Longer Lease timings than the defaults: a leader that cannot reach the API server for its renew deadline exits
 * (in a cluster its pod restarts as a standby; nothing restarts it here), and restarting kube-apiserver on this
 * shared machine takes about 10 s, the default deadline. The stall test covers the deadline itself.
 */
const ELECT = ['--leader-elect', '--lease-seconds', '40', '--renew-deadline-seconds', '30'];
let env: OperatorEnv;
let a: OperatorProcess;
let b: OperatorProcess;

stopAfterTests(() => env);

before(async () => {
  env = await operatorEnv({ maxConnections: 40, namespace: NS });
  await env.pool.query('CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int)');
  await env.pool.query(jobsTableSql(1_000_000));
});

const holder = async () => (await env.k.getJson<{ spec: { holderIdentity?: string } }>('lease', 'bulkhead-operator', NS))?.spec.holderIdentity;
const importAndWait = async (name: string, from: number, to: number) => {
  await env.k.applyYaml(itemsImport(NS, name, env.serveCsv(`${name}.csv`, itemsCsv(from, to))));
  return env.waitStatus<ImportStatus>('csvimport', name, 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
};

test('two replicas elect one leader; the other takes over when the leader stops', async () => {
  a = await env.startOperator(ELECT, 'replica-a');
  await waitFor(async () => ({ done: (await holder()) === 'replica-a', value: await holder() }), { what: 'replica-a to lead' });
  b = await env.startOperator(ELECT, 'replica-b');
  assert.equal((await importAndWait('led-by-a', 1, 50)).phase, 'Succeeded');
  assert.equal(await holder(), 'replica-a', 'the second replica stays standby');
  assert.doesNotMatch(b.output(), /"event":"synced"/, 'the standby does not reconcile');
  assert.equal(await a.stop(), 143, 'a clean shutdown exits 143');
  await waitFor(async () => ({ done: (await holder()) === 'replica-b', value: await holder() }), { what: 'replica-b to take over', timeoutMs: 20_000 });
  assert.equal((await importAndWait('led-by-b', 51, 100)).rows?.inserted, 50);
});

test('the operator survives a restart of the API server', async () => {
  await env.cp.restartApiServer();
  const after = await importAndWait('after-restart', 101, 150);
  assert.equal(after.phase, 'Succeeded');
  assert.equal(after.rows?.inserted, 50);
});

test('while the test holds a lock a worker waits on, /metrics shows the lock-waiting backend', async () => {
  await env.k.applyYaml(jobsStressRun(NS, 'blocked', 1, { processor: { type: 'noop' } }));
  await env.waitStatus<StressStatus>('stressrun', 'blocked', 'to have a ready worker and progress', (s) => s.workers === 1 && (s.queue?.completed ?? 0) > 0);
  const holderClient = await env.pool.connect();
  try {
    await holderClient.query('BEGIN');
    await holderClient.query('LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE');
    const metrics = await waitFor(async () => {
      const text = await fetch(`http://127.0.0.1:${b.port}/metrics`).then((r) => r.text());
      const waiting = /bulkhead_pg_lock_waiting_backends\{server="[^"]+",application="bulkhead\/worker\/ops\/blocked"\} (\d+)/.exec(text);
      const longest = /bulkhead_pg_lock_wait_seconds_max\{server="[^"]+"\} ([\d.e+-]+)/.exec(text);
      return { done: Number(waiting?.[1] ?? 0) >= 1 && Number(longest?.[1] ?? 0) > 0, value: text.split('\n').filter((l) => l.startsWith('bulkhead_pg_lock')).join('\n') };
    }, { what: 'the lock-waiting worker in /metrics', timeoutMs: 20_000 });
    assert.match(metrics, /bulkhead_pg_lock_waiting_backends/);
  } finally {
    await holderClient.query('ROLLBACK');
    holderClient.release();
  }
  const text = await fetch(`http://127.0.0.1:${b.port}/metrics`).then((r) => r.text());
  for (const name of ['bulkhead_reconcile_total', 'bulkhead_reconcile_duration_seconds', 'bulkhead_budget_connections', 'bulkhead_pg_connections', 'bulkhead_queue_rows']) {
    assert.match(text, new RegExp(`^${name}`, 'm'), `${name} is exported`);
  }
});
