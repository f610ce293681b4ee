/**
 * The connection budget on a real control plane, with a small max_connections: an import that does not fit
 * waits in Pending with the numbers; a StressRun gets the workers that fit, BudgetLimited=True, and grows when
 * connections free up; twenty CRs at once never exceed the capacity; scale and Git-style re-apply move the
 * Deployment and a hand edit of its replicas is put back; the lock-wait metrics show a blocked worker.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { waitFor } from '../harness/kubectl.js';
import { runCli } from '../harness/run-cli.js';
import { itemsCsv, itemsImport, jobsStressRun, jobsTableSql, operatorEnv, stopAfterTests, type OperatorEnv, type OperatorProcess } from './operator-fixture.js';

interface Condition { type: string; status: string; reason: string; message: string }
interface StressStatus { workers?: number; grantedWorkers?: number; selector?: string; conditions?: Condition[]; queue?: { pending?: number; completed?: number } }
interface ImportStatus { phase?: string; grantedConnections?: number; conditions?: Condition[] }

const NS = 'budget';
// max_connections 12 − 3 reserved (superuser_reserved_connections) = 9 usable; the test pool (up to 2 sessions)
// and the operator's own session are external, so about 6 are left for grants.
const MAX_CONNECTIONS = 12;
let env: OperatorEnv;
let operator: OperatorProcess;

stopAfterTests(() => env);

before(async () => {
  env = await operatorEnv({ maxConnections: MAX_CONNECTIONS, namespace: NS });
  await env.pool.query('CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int)');
  await env.pool.query(jobsTableSql(200_000));
  operator = await env.startOperator();
});

const cond = (s: { conditions?: Condition[] } | undefined, type: string) => s?.conditions?.find((c) => c.type === type);
const bulkheadSessions = async () => {
  const { rows } = await env.pool.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'bulkhead/import/%' OR application_name LIKE 'bulkhead/worker/%'");
  return Number(rows[0]?.n);
};
const capacity = async () => {
  const r = await fetch(`http://127.0.0.1:${operator.port}/metrics`).then((x) => x.text());
  const m = /bulkhead_budget_connections\{server="[^"]+",state="capacity"\} (\d+)/.exec(r);
  return m ? Number(m[1]) : undefined;
};

test('a StressRun gets only the workers that fit and shows BudgetLimited=True; an import waits in Pending with the numbers, then runs', async () => {
  await env.k.applyYaml(jobsStressRun(NS, 'churn', 20));
  const limited = await env.waitStatus<StressStatus>('stressrun', 'churn', 'to be budget limited with ready workers', (s) => cond(s, 'BudgetLimited')?.status === 'True' && (s.workers ?? 0) > 0 && s.workers === s.grantedWorkers);
  const granted = limited.grantedWorkers ?? 0;
  assert.ok(granted > 0 && granted < 20, `granted ${granted}`);
  assert.match(cond(limited, 'BudgetLimited')?.message ?? '', new RegExp(`${granted} of 20 workers fit .*max_connections ${MAX_CONNECTIONS}`));
  assert.equal(limited.selector, 'bulkhead.dev/stressrun=churn');
  // The Deployment follows the grant; the grant itself follows the external load (this test's own sessions), so
  // compare the two read together until they agree, rather than with the grant read a moment ago.
  await waitFor(async () => {
    const dep = await env.k.getJson<{ spec: { replicas: number } }>('deployment', 'churn', NS);
    const now = (await env.status<StressStatus>('stressrun', 'churn'))?.grantedWorkers;
    return { done: dep?.spec.replicas === now && (now ?? 0) > 0, value: `Deployment replicas ${dep?.spec.replicas}, granted ${now}` };
  }, { what: 'the worker Deployment to have the granted replicas' });
  // The CLI's own session is external load too, so the grant may dip and come back while it runs: the status is
  // read before, over and over during, and after the call, and the printed grant must be one of those reads.
  const seen: (number | undefined)[] = [(await env.status<StressStatus>('stressrun', 'churn'))?.grantedWorkers];
  let running = true;
  const reads = (async () => {
    while (running) seen.push((await env.status<StressStatus>('stressrun', 'churn'))?.grantedWorkers);
  })();
  const ledger = await runCli(['budget', '--database-url', env.pg.url, '--kubeconfig', env.cp.kubeconfig, '--headroom', '0', '--json']);
  running = false;
  await reads;
  seen.push((await env.status<StressStatus>('stressrun', 'churn'))?.grantedWorkers);
  assert.equal(ledger.code, 0, ledger.stderr);
  const printed = JSON.parse(ledger.stdout) as { maxConnections: number; granted: number; grants: { claim: string; connections: number }[] };
  assert.equal(printed.maxConnections, MAX_CONNECTIONS);
  // The grant follows the external load (the test's own sessions come and go), so compare with the status around the call.
  assert.deepEqual(printed.grants.map((g) => g.claim), [`StressRun/${NS}/churn`]);
  assert.ok(seen.includes(printed.grants[0]?.connections), `budget printed ${printed.grants[0]?.connections}, status said ${seen.join(', ')}`);
  assert.ok(!ledger.stdout.includes(env.pg.url) && !ledger.stderr.includes(env.pg.url));

  await env.k.applyYaml(itemsImport(NS, 'waiting', env.serveCsv('w.csv', itemsCsv(1, 100))));
  const pending = await env.waitStatus<ImportStatus>('csvimport', 'waiting', 'to wait in Pending', (s) => s.phase === 'Pending');
  const admitted = cond(pending, 'BudgetAdmitted');
  assert.equal(admitted?.status, 'False');
  assert.equal(admitted?.reason, 'InsufficientConnections');
  assert.match(admitted?.message ?? '', /waiting for 1 more connections \(max_connections 12, reserved 3, external \d+, headroom 0, capacity \d+, granted \d+, free 0\)/);
  // Grants follow the external load (this test's own sessions, the budget CLI's), so a worker may be stopping
  // while its replacement grant goes elsewhere: the invariant is the capacity, not one CR's earlier grant.
  const sessions = await bulkheadSessions();
  const cap = await capacity();
  assert.ok(cap !== undefined && sessions <= cap, `${sessions} runner sessions, capacity ${cap}`);

  // Git-style re-apply with fewer workers frees connections: the import is admitted and runs.
  await env.k.applyYaml(jobsStressRun(NS, 'churn', 1));
  const done = await env.waitStatus<ImportStatus>('csvimport', 'waiting', 'to succeed', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(done.phase, 'Succeeded');
  const one = await env.waitStatus<StressStatus>('stressrun', 'churn', 'to run one worker', (s) => s.grantedWorkers === 1 && cond(s, 'BudgetLimited')?.status === 'False');
  assert.equal(one.grantedWorkers, 1);
});

/** A StressRun's Deployment once its controller has caught up: replicas, pod template, ReplicaSets (name@pod-template-hash), pods. */
const workerRollout = async (name: string) => {
  const dep = await waitFor(async () => {
    const d = await env.k.getJson<{ metadata: { generation: number }; spec: { replicas: number; template: unknown }; status?: { observedGeneration?: number } }>('deployment', name, NS);
    return { done: d !== undefined && d.status?.observedGeneration === d.metadata.generation, value: d };
  }, { what: `deployment/${name} to be observed by its controller` });
  const names = async (kind: string) => {
    const list = await env.k.kubectl(['get', kind, '-n', NS, '-l', `bulkhead.dev/stressrun=${name}`, '-o', 'jsonpath={range .items[*]}{.metadata.name}@{.metadata.labels.pod-template-hash} {end}']);
    assert.equal(list.code, 0, list.stderr);
    return list.stdout.split(' ').filter(Boolean).sort();
  };
  return { replicas: dep?.spec.replicas, template: dep?.spec.template, replicaSets: await names('replicasets'), pods: await names('pods') };
};

test('kubectl scale moves only the Deployment\'s replicas: same pod template, same ReplicaSet, no worker restarted; a hand edit of its replicas is put back', async () => {
  const before = await workerRollout('churn');
  assert.equal(before.replicaSets.length, 1, 'one ReplicaSet so far: the earlier re-apply with another workers count changed no template');
  const scaled = await env.k.kubectl(['scale', 'stressrun/churn', '-n', NS, '--replicas=2']);
  assert.equal(scaled.code, 0, scaled.stderr);
  await env.waitStatus<StressStatus>('stressrun', 'churn', 'to have 2 ready workers', (s) => s.grantedWorkers === 2 && s.workers === 2);
  const after = await workerRollout('churn');
  assert.equal(after.replicas, 2);
  assert.deepEqual(after.template, before.template, 'the pod template did not change');
  assert.deepEqual(after.replicaSets, before.replicaSets, 'no new ReplicaSet');
  // Scaling up keeps every worker; scaling down (when an earlier test left more running) only removes some.
  const [fewer, more] = after.pods.length >= before.pods.length ? [before.pods, after.pods] : [after.pods, before.pods];
  assert.ok(fewer.every((pod) => more.includes(pod)), `no worker was replaced: before ${before.pods.join(', ')}; after ${after.pods.join(', ')}`);
  const edit = await env.k.kubectl(['scale', 'deployment/churn', '-n', NS, '--replicas=5']);
  assert.equal(edit.code, 0, edit.stderr);
  const replicas = await waitFor(async () => {
    const d = await env.k.getJson<{ spec: { replicas: number } }>('deployment', 'churn', NS);
    return { done: d?.spec.replicas === 2, value: d?.spec.replicas };
  }, { what: 'the hand edit of deployment/churn to be reverted to 2', timeoutMs: 20_000 });
  assert.equal(replicas, 2);
});

test('twenty CRs applied at once never exceed the capacity', async () => {
  await env.k.applyYaml(jobsStressRun(NS, 'churn', 1));
  const docs = Array.from({ length: 20 }, (_, i) => i % 2 === 0
    ? itemsImport(NS, `burst-${i}`, env.serveCsv(`b${i}.csv`, itemsCsv(1000 + i * 100, 1000 + i * 100 + 99)))
    : jobsStressRun(NS, `burst-${i}`, 2, { durationSeconds: 8 }));
  await env.k.applyYaml(docs.join('---\n'));
  let peakSessions = 0;
  let peakGranted = 0;
  let sawPending = false;
  // The capacity moves with the external sessions (this test's pool, the operator's own), so it is sampled with
  // everything else: grants and runner sessions stay within the largest capacity the operator computed, and all
  // client sessions together never take the server's last usable slot.
  let cap = await waitFor(async () => ({ done: (await capacity()) !== undefined, value: await capacity() }), { what: 'the capacity metric' });
  let peakClients = 0;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    peakSessions = Math.max(peakSessions, await bulkheadSessions());
    cap = Math.max(cap ?? 0, (await capacity()) ?? 0);
    const { rows } = await env.pool.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend'");
    peakClients = Math.max(peakClients, Number(rows[0]?.n));
    const list = await env.k.kubectl(['get', 'csvimports,stressruns', '-n', NS, '-o', 'json']);
    const items = (JSON.parse(list.stdout) as { items: { kind: string; spec: { connectionsPerWorker?: number }; status?: { phase?: string; grantedConnections?: number; grantedWorkers?: number } }[] }).items;
    const granted = items.reduce((sum, i) => sum + (i.kind === 'CsvImport' ? i.status?.grantedConnections ?? 0 : (i.status?.grantedWorkers ?? 0) * (i.spec.connectionsPerWorker ?? 1)), 0);
    peakGranted = Math.max(peakGranted, granted);
    const imports = items.filter((i) => i.kind === 'CsvImport');
    sawPending ||= imports.some((i) => i.status?.phase === 'Pending');
    if (imports.every((i) => i.status?.phase === 'Succeeded')) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(`burst: largest capacity ${cap}, peak granted ${peakGranted}, peak runner sessions ${peakSessions}, peak client sessions ${peakClients}\n`);
  assert.ok(peakClients <= MAX_CONNECTIONS - 3, `${peakClients} client sessions: the server's usable slots ran out`);
  assert.ok(sawPending, 'the burst was larger than the capacity, so some import had to wait');
  assert.ok(peakGranted > 0 && peakSessions > 0);
  assert.ok(cap !== undefined && peakGranted <= cap, `granted ${peakGranted} > capacity ${cap}`);
  assert.ok(cap !== undefined && peakSessions <= cap, `runner sessions ${peakSessions} > capacity ${cap}`);
  const list = await env.k.kubectl(['get', 'csvimports', '-n', NS, '-o', 'jsonpath={.items[*].status.phase}']);
  assert.deepEqual([...new Set(list.stdout.split(' ').filter(Boolean))], ['Succeeded'], 'every import ran in the end');
  const ended = await env.waitStatus<StressStatus>('stressrun', 'burst-1', 'to end after durationSeconds', (s) => cond(s, 'Succeeded')?.status === 'True', 60_000);
  assert.equal(ended.grantedWorkers, 0, 'an ended run gives its workers back');
  const dep = await env.k.getJson<{ spec: { replicas: number } }>('deployment', 'burst-1', NS);
  assert.equal(dep?.spec.replicas, 0, 'durationSeconds scales the workers to 0');
});
