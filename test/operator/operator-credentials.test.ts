/**
 * Two teams on one PostgreSQL server, each with its own role, database and Secret: the operator reads each
 * StressRun's queue with that StressRun's own Secret, never the other team's; a rotated password replaces the
 * operator's session; a Secret that no CR uses any more loses its session; a server no CR names is forgotten.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import pg from 'pg';
import { waitFor } from '../harness/kubectl.js';
import { databaseSecret, jobsStressRun, jobsTableSql, operatorEnv, stopAfterTests, type OperatorEnv, type OperatorProcess } from './operator-fixture.js';

interface StressStatus { queue?: { pending?: number } }
interface Session { pid: number; usename: string; datname: string }

const NS = 'teams';
let env: OperatorEnv;
let operator: OperatorProcess;

stopAfterTests(() => env);

/** A URL of the test server with another role, password and database. */
function teamUrl(role: string, password: string): string {
  const url = new URL(env.pg.url);
  url.username = role;
  url.password = password;
  url.pathname = `/${role}_db`;
  return url.toString();
}

async function applySecret(name: string, uri: string): Promise<void> {
  await env.k.applyYaml(databaseSecret(NS, name, uri));
}

const secretName = (role: string) => `pg-${role.replace('_', '-')}`;

/** A role that may log in only to its own database, which holds a `jobs` queue of `pending` rows. */
async function team(role: string, pending: number): Promise<void> {
  await env.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${role}-1'`);
  await env.pool.query(`CREATE DATABASE ${role}_db OWNER ${role}`);
  await env.pool.query(`REVOKE CONNECT ON DATABASE ${role}_db FROM PUBLIC`);
  const owner = new pg.Client({ connectionString: teamUrl(role, `${role}-1`) });
  await owner.connect();
  await owner.query(jobsTableSql(pending));
  await owner.end();
  await applySecret(secretName(role), teamUrl(role, `${role}-1`));
}

/** The operator's own sessions on the server. */
async function operatorSessions(): Promise<Session[]> {
  const { rows } = await env.pool.query<Session>("SELECT pid, usename, datname FROM pg_stat_activity WHERE application_name LIKE 'bulkhead/operator/%' ORDER BY pid");
  return rows;
}

const metricsText = () => fetch(`http://127.0.0.1:${operator.port}/metrics`).then((r) => r.text());

before(async () => {
  env = await operatorEnv({ maxConnections: 40, namespace: NS });
  await team('team_a', 7);
  await team('team_b', 13);
  operator = await env.startOperator();
});

test('each StressRun\'s queue is read with its own Secret\'s role, in its own database', async () => {
  await env.k.applyYaml(jobsStressRun(NS, 'run-a', 0, { database: { secretRef: { name: secretName('team_a') } } }));
  await env.k.applyYaml(jobsStressRun(NS, 'run-b', 0, { database: { secretRef: { name: secretName('team_b') } } }));
  await env.waitStatus<StressStatus>('stressrun', 'run-a', 'to count its own queue', (s) => s.queue?.pending === 7);
  await env.waitStatus<StressStatus>('stressrun', 'run-b', 'to count its own queue', (s) => s.queue?.pending === 13);
  const metrics = await metricsText();
  assert.match(metrics, new RegExp(`bulkhead_queue_rows\\{stressrun="${NS}/run-a",status="pending"\\} 7\\b`));
  assert.match(metrics, new RegExp(`bulkhead_queue_rows\\{stressrun="${NS}/run-b",status="pending"\\} 13\\b`));
  const sessions = await operatorSessions();
  assert.ok(sessions.some((s) => s.usename === 'team_a') && sessions.some((s) => s.usename === 'team_b'), JSON.stringify(sessions));
  for (const s of sessions) assert.equal(s.datname, `${s.usename}_db`, `an operator session of ${s.usename} is in its own database: ${JSON.stringify(sessions)}`);
});

test('a rotated password replaces the operator\'s session, and the queue is still read', async () => {
  const before = (await operatorSessions()).filter((s) => s.usename === 'team_a').map((s) => s.pid);
  assert.ok(before.length > 0, 'the operator has a session of team_a');
  await env.pool.query("ALTER ROLE team_a PASSWORD 'team_a-2'");
  await applySecret(secretName('team_a'), teamUrl('team_a', 'team_a-2'));
  const owner = new pg.Client({ connectionString: teamUrl('team_a', 'team_a-2') });
  await owner.connect();
  await owner.query("INSERT INTO jobs (url) SELECT 'http://example.invalid/more' FROM generate_series(1, 3)");
  await owner.end();
  await env.waitStatus<StressStatus>('stressrun', 'run-a', 'to count the rows added after the rotation', (s) => s.queue?.pending === 10, 30_000);
  const replaced = await waitFor(async () => {
    const now = (await operatorSessions()).filter((s) => s.usename === 'team_a').map((s) => s.pid);
    return { done: now.length > 0 && now.every((pid) => !before.includes(pid)), value: now };
  }, { what: 'the old password\'s session to close and a new one to read the queue', timeoutMs: 30_000 });
  assert.ok(replaced.length > 0);
});

test('a Secret no CR uses loses its session; a server no CR names is forgotten', async () => {
  await env.k.kubectl(['-n', NS, 'delete', 'stressrun', 'run-b', '--wait=true']);
  await waitFor(async () => {
    const sessions = await operatorSessions();
    return { done: !sessions.some((s) => s.usename === 'team_b') && sessions.some((s) => s.usename === 'team_a'), value: sessions };
  }, { what: 'team_b\'s session to close while team_a\'s stays', timeoutMs: 30_000 });
  const server = `127.0.0.1:${new URL(env.pg.url).port}`;
  assert.match(await metricsText(), new RegExp(`bulkhead_budget_connections\\{server="${server}"`), 'the server is still observed through team_a');

  await env.k.kubectl(['-n', NS, 'delete', 'stressrun', 'run-a', '--wait=true']);
  await waitFor(async () => {
    const sessions = await operatorSessions();
    const metrics = await metricsText();
    return { done: sessions.length === 0 && !metrics.includes(`server="${server}"`), value: { sessions, metrics: metrics.split('\n').filter((l) => l.includes(server)) } };
  }, { what: 'every operator session to close and the server\'s series to go', timeoutMs: 30_000 });
  assert.match(operator.output(), /"event":"pools-closed"/);
});
