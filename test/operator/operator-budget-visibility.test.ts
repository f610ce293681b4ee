/**
 * The budget when the database Secret's role lacks pg_monitor, on a real control plane: other roles' sessions,
 * whose backend_type it cannot see, still count against the budget; every CsvImport and StressRun of the server
 * gets BudgetAccurate=False with the GRANT to run and one Warning Event; /metrics says bulkhead_budget_accurate 0.
 * Once the role is granted pg_monitor, the budget is accurate again.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import pg from 'pg';
import { ident } from '../../runners/shared/ident.js';
import { waitFor } from '../harness/kubectl.js';
import { loginRole, type LoginRole } from '../harness/login-role.js';
import { databaseSecret, itemsCsv, itemsImport, jobsStressRun, jobsTableSql, operatorEnv, stopAfterTests, type OperatorEnv, type OperatorProcess } from './operator-fixture.js';

interface Condition { type: string; status: string; reason: string; message: string }
interface Status { phase?: string; conditions?: Condition[] }

const NS = 'visibility';
// 20 − 3 reserved = 17 usable slots; the test opens six sessions of another role (the superuser) next to them.
const MAX_CONNECTIONS = 20;
const FOREIGN_SESSIONS = 6;
let env: OperatorEnv;
let role: LoginRole;
let operator: OperatorProcess;
const foreign: pg.Client[] = [];

stopAfterTests(() => env);

before(async () => {
  env = await operatorEnv({ maxConnections: MAX_CONNECTIONS, namespace: NS });
  role = await loginRole({ url: env.pg.url, pool: env.pool }, 'bh_operator_nomon', { dropAfter: false }); // the server goes with the file
  // The role owns what its runs use, and may create the import's staging and bookkeeping, but monitors nothing.
  await env.pool.query(`GRANT CREATE ON DATABASE postgres TO ${ident(role.name)}; GRANT CREATE ON SCHEMA public TO ${ident(role.name)}`);
  const asRole = new pg.Client({ connectionString: role.url });
  await asRole.connect();
  await asRole.query(`CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int); ${jobsTableSql(100_000)}`);
  await asRole.end();
  await env.k.applyYaml(databaseSecret(NS, 'pg-app', role.url));
  for (let i = 0; i < FOREIGN_SESSIONS; i++) {
    const c = new pg.Client({ connectionString: env.pg.url, application_name: 'another-team' });
    c.on('error', () => undefined); // the server stops with the file
    await c.connect();
    foreign.push(c);
  }
  operator = await env.startOperator();
});

const accurate = (s: Status | undefined) => s?.conditions?.find((c) => c.type === 'BudgetAccurate');
const statsHiddenEvents = async (name: string) => {
  const r = await env.k.kubectl(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${name},type=Warning,reason=StatsHidden`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: { message: string }[] }).items;
};
const metric = async (pattern: RegExp) => pattern.exec(await fetch(`http://127.0.0.1:${operator.port}/metrics`).then((x) => x.text()))?.[1];

test('without pg_monitor, other roles\' sessions still count; each CR gets BudgetAccurate=False with the GRANT, and one Warning Event', async () => {
  await env.k.applyYaml(jobsStressRun(NS, 'churn', 2, { processor: { type: 'noop' } }));
  await env.k.applyYaml(itemsImport(NS, 'load', env.serveCsv('load.csv', itemsCsv(1, 100))));
  const grant = `GRANT pg_monitor TO "${role.name}";`;
  for (const [resource, name] of [['stressrun', 'churn'], ['csvimport', 'load']] as const) {
    const s = await env.waitStatus<Status>(resource, name, 'to say its budget is not accurate', (x) => accurate(x)?.status === 'False');
    assert.equal(accurate(s)?.reason, 'StatsHidden');
    assert.ok(accurate(s)?.message.includes(grant), accurate(s)?.message);
  }
  // Six sessions of another role are hidden from this one, and still take six of the 17 usable slots.
  const external = Number(await metric(/^bulkhead_budget_connections\{server="[^"]+",state="external"\} (\d+)$/m));
  assert.ok(external >= FOREIGN_SESSIONS, `external ${external}`);
  assert.equal(await metric(/^bulkhead_budget_accurate\{server="[^"]+"\} (\d+)$/m), '0');
  const done = await env.waitStatus<Status>('csvimport', 'load', 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(done.phase, 'Succeeded');
  // The StressRun is reconciled every second or two: still one Event each, not one per reconcile.
  await new Promise((r) => setTimeout(r, 5000));
  for (const name of ['churn', 'load']) {
    const events = await statsHiddenEvents(name);
    assert.equal(events.length, 1, `${name}: ${events.length} StatsHidden Events`);
    assert.ok(events[0]?.message.includes(grant));
    assert.ok(!events[0]?.message.includes(new URL(role.url).password), 'no password in the Event');
  }
});

test('once the role is granted pg_monitor, the budget is accurate again', async () => {
  await env.pool.query(`GRANT pg_monitor TO ${ident(role.name)}`);
  const s = await env.waitStatus<Status>('stressrun', 'churn', 'to say its budget is accurate', (x) => accurate(x)?.status === 'True');
  assert.equal(accurate(s)?.reason, 'StatsVisible');
  await waitFor(async () => {
    const value = await metric(/^bulkhead_budget_accurate\{server="[^"]+"\} (\d+)$/m);
    return { done: value === '1', value };
  }, { what: 'bulkhead_budget_accurate to be 1' });
  await Promise.all(foreign.map((c) => c.end()));
});
