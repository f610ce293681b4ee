/**
 * A StressRun on the real node: three worker pods drain creatives_fresh; `kubectl scale` changes only the number
 * of pods (the running ones stay, in the same ReplicaSet); `kubectl logs` shows each worker's log; a pod deleted
 * the moment its container runs exits within seconds (tini passes the SIGTERM on) and hands back its rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../harness/kubectl.js';
import { creativesQueue, creativesStressRun, k, kubectlOk, pods, queueCounts, running, scenario, waitStatus, type Pod } from './e2e-env.js';

const NS = 'e2e-workers';
const ROWS = 6000;
const SELECTOR = 'bulkhead.dev/stressrun=creatives';
const db = await scenario(NS);
await creativesQueue(db, ROWS);

interface StressStatus { workers?: number; grantedWorkers?: number; queue?: { pending?: number; completed?: number } }

const replicaSets = async () => (JSON.parse(await kubectlOk(['-n', NS, 'get', 'rs', '-l', SELECTOR, '-o', 'json'])) as { items: { metadata: { name: string } }[] }).items;
const runningPods = async () => (await pods(NS, SELECTOR)).filter(running);
const waitRunning = (n: number) => waitFor(async () => {
  const list = await runningPods();
  return { done: list.length === n, value: list };
}, { what: `${n} running worker pods`, timeoutMs: 120_000, intervalMs: 500 });

test('three worker pods run the image under the restricted standard and claim rows; kubectl logs shows each one', async () => {
  await kubectlOk(['apply', '-f', '-'], creativesStressRun(NS, 'creatives', 3, {}, { sleep: { minMs: 100, maxMs: 300, failureRate: 0 } }));
  await waitStatus<StressStatus>('stressrun', 'creatives', NS, 'to have 3 ready workers', (s) => s.workers === 3);
  const list = await waitRunning(3);
  for (const pod of list) {
    const logs = await waitFor(async () => {
      const text = await kubectlOk(['-n', NS, 'logs', pod.metadata.name]);
      return { done: text.includes('"event":"start"'), value: text };
    }, { what: `the start line in kubectl logs ${pod.metadata.name}` });
    assert.match(logs, new RegExp(`"worker":"${pod.metadata.name}"`));
  }
  // tini is PID 1 and runs bulkhead worker as its child, as the image's entrypoint says.
  const comm = await kubectlOk(['-n', NS, 'exec', list[0]!.metadata.name, '--', 'cat', '/proc/1/comm']);
  assert.equal(comm.trim(), 'tini');
  await waitFor(async () => {
    const c = await queueCounts(db.pool);
    return { done: (c.completed ?? 0) > 0, value: c };
  }, { what: 'the first completed rows' });
});

test('kubectl scale stressrun changes only the number of pods: the running pods and the ReplicaSet stay', async () => {
  const [rs] = await replicaSets();
  const before = new Set((await runningPods()).map((p) => p.metadata.name));
  await kubectlOk(['-n', NS, 'scale', 'stressrun/creatives', '--replicas=1']);
  const one = await waitRunning(1);
  assert.ok(before.has(one[0]!.metadata.name), 'the pod left running is one of the three');
  await kubectlOk(['-n', NS, 'scale', 'stressrun/creatives', '--replicas=3']);
  const three = await waitRunning(3);
  assert.ok(three.some((p) => p.metadata.name === one[0]!.metadata.name), 'the pod that stayed through the scale down still runs');
  const after = await replicaSets();
  assert.deepEqual(after.map((r) => r.metadata.name), [rs!.metadata.name], 'one ReplicaSet throughout: no rollout');
  await waitStatus<StressStatus>('stressrun', 'creatives', NS, 'to report 3 workers again', (s) => s.workers === 3);
});

test('a worker pod deleted the moment its container runs exits within seconds and holds no rows', async () => {
  // A fourth worker; delete it as soon as its container runs, before node has installed its SIGTERM handler.
  const known = new Set((await pods(NS, SELECTOR)).map((p) => p.metadata.name));
  await kubectlOk(['-n', NS, 'scale', 'stressrun/creatives', '--replicas=4']);
  const fresh = await waitFor(async () => {
    const p = (await pods(NS, SELECTOR)).find((x) => !known.has(x.metadata.name) && running(x));
    return { done: p !== undefined, value: p as Pod };
  }, { what: 'the new worker container to run', intervalMs: 50, timeoutMs: 120_000 });
  const started = Date.now();
  await kubectlOk(['-n', NS, 'delete', 'pod', fresh.metadata.name, '--wait=true', '--timeout=90s']);
  const seconds = (Date.now() - started) / 1000;
  // The pod's grace period is 60 s: a worker that ignored the signal would run until then.
  assert.ok(seconds < 20, `deleted pod took ${seconds} s to go`);
  const { rows } = await db.pool.query<{ n: string }>("SELECT count(*) n FROM creatives_fresh WHERE status = 'processing' AND locked_by = $1", [fresh.metadata.name]);
  assert.equal(rows[0]?.n, '0', 'its claims went back to pending');
  await kubectlOk(['-n', NS, 'scale', 'stressrun/creatives', '--replicas=3']);
});

test('the workers drain creatives_fresh: every row completed once, none lost', async () => {
  const done = await waitFor(async () => {
    const c = await queueCounts(db.pool);
    return { done: (c.completed ?? 0) === ROWS, value: c };
  }, { what: `all ${ROWS} rows completed`, timeoutMs: 300_000, intervalMs: 1000 });
  assert.deepEqual(done, { completed: ROWS });
  const status = await waitStatus<StressStatus>('stressrun', 'creatives', NS, 'to see the queue drained', (s) => s.queue?.completed === ROWS);
  assert.equal(status.queue?.pending, 0);
  await k.kubectl(['-n', NS, 'delete', 'stressrun', 'creatives', '--wait=true']);
});
