/**
 * Leader election when the leader's API traffic stalls, on a real control plane: replica-a talks to the API
 * server through a proxy that the test stalls for longer than the lease, replica-b directly. replica-a must stop
 * (exit 1, at its renew deadline) before replica-b may take the Lease over, so that the windows in which each
 * reconciles never overlap; then replica-b runs the import applied during the stall.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '../harness/kubectl.js';
import { kubeconfigThrough, startStallingProxy, type StallingProxy } from '../harness/stalling-proxy.js';
import { itemsCsv, itemsImport, operatorEnv, stopAfterTests, type OperatorEnv } from './operator-fixture.js';

interface ImportStatus { phase?: string; jobName?: string; rows?: { inserted?: number } }

const NS = 'stall';
/** Short timings so the test is quick; the same ratios as client-go's 15/10/2. */
const ELECT = ['--leader-elect', '--lease-seconds', '6', '--renew-deadline-seconds', '4', '--retry-seconds', '1'];
let env: OperatorEnv;
let proxy: StallingProxy | undefined;

stopAfterTests(() => env);
after(() => proxy?.close());

before(async () => {
  env = await operatorEnv({ maxConnections: 30, namespace: NS });
  await env.pool.query('CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int)');
});

const holder = async () => (await env.k.getJson<{ spec: { holderIdentity?: string } }>('lease', 'bulkhead-operator', NS))?.spec.holderIdentity;
const importAndWait = async (name: string, from: number, to: number) => {
  await env.k.applyYaml(itemsImport(NS, name, env.serveCsv(`${name}.csv`, itemsCsv(from, to))));
  return env.waitStatus<ImportStatus>('csvimport', name, 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
};

/** The time of the first log record of `event` in an operator's output, in ms since the epoch. */
function loggedAt(output: string, event: string): number {
  const line = output.split('\n').find((l) => l.includes(`"event":"${event}"`));
  assert.ok(line, `the operator logged "${event}":\n${output.slice(-3000)}`);
  return Date.parse((JSON.parse(line) as { time: string }).time);
}

test('a leader whose API calls hang stops before a standby takes over; the new leader runs what was applied meanwhile', async (t) => {
  proxy = await startStallingProxy(env.cp.server);
  const a = await env.startOperator(ELECT, 'replica-a', await kubeconfigThrough(env.cp.kubeconfig, proxy.server, 'replica-a'));
  await waitFor(async () => ({ done: (await holder()) === 'replica-a', value: await holder() }), { what: 'replica-a to lead' });
  const b = await env.startOperator(ELECT, 'replica-b');
  assert.equal((await importAndWait('before-stall', 1, 50)).phase, 'Succeeded', 'replica-a reconciles through the proxy');

  proxy.stall();
  const stalledAt = Date.now();
  await env.k.applyYaml(itemsImport(NS, 'during-stall', env.serveCsv('during-stall.csv', itemsCsv(51, 100))));
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`replica-a kept running with its API calls hung:\n${a.output().slice(-2000)}`)), 30_000).unref());
  const aExit = await Promise.race([a.exited, timeout]);
  assert.equal(aExit.code, 1, 'a leader that cannot renew exits 1, so that its pod restarts as a standby');
  assert.match(a.output(), /"event":"leader-lost","reason":"not renewed within 4s"/);

  await waitFor(async () => ({ done: (await holder()) === 'replica-b', value: await holder() }), { what: 'replica-b to take over', timeoutMs: 30_000 });
  const during = await env.waitStatus<ImportStatus>('csvimport', 'during-stall', 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(during.phase, 'Succeeded');
  assert.equal(during.rows?.inserted, 50);
  assert.ok(during.jobName && (await env.k.getJson('job', during.jobName, NS)), 'the new leader created the Job');

  // replica-a reconciled from its "synced" until it exited; replica-b from its "leader" (it syncs and reconciles only
  // after). The test saw replica-a's exit after it happened, so this order is conservative.
  const bLeads = loggedAt(b.output(), 'leader');
  assert.ok(aExit.at < bLeads, `replica-a exited (${new Date(aExit.at).toISOString()}) before replica-b led (${new Date(bLeads).toISOString()})`);
  assert.ok(loggedAt(a.output(), 'synced') < loggedAt(a.output(), 'leader-lost'));
  assert.ok(bLeads <= loggedAt(b.output(), 'synced'));
  const since = (ms: number) => `${((ms - stalledAt) / 1000).toFixed(1)} s`;
  t.diagnostic(`after the stall: replica-a exited at ${since(aExit.at)}, replica-b led at ${since(bLeads)} and synced at ${since(loggedAt(b.output(), 'synced'))}`);
  assert.equal(await b.stop(), 143);
});
