/**
 * The budget as an ordinary role sees it. Without pg_read_all_stats, PostgreSQL hides other roles' backend_type
 * and state in pg_stat_activity: their sessions must still count against the budget, and the budget must say
 * that it cannot see them (and what to GRANT). With pg_monitor, every session is seen and the budget is accurate.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { budgetServer } from '../../operator/budget/server-budget.js';
import { takeServerSnapshot } from '../../operator/budget/server-snapshot.js';
import { OperatorMetrics } from '../../operator/operator-metrics.js';
import { observeServer } from '../../operator/observer/observe-servers.js';
import { ident } from '../../runners/shared/ident.js';
import { loginRole } from '../harness/login-role.js';
import { runCli } from '../harness/run-cli.js';
import { testDatabase } from '../harness/test-database.js';

const db = await testDatabase(import.meta.url);
const role = await loginRole(db, 'bh_budget_nomon');
const FOREIGN = 'foreign-app';
const FOREIGN_SESSIONS = 6;

// Another role's idle sessions (the superuser's), as a second team's application would hold them.
const foreign = await Promise.all(Array.from({ length: FOREIGN_SESSIONS }, async () => {
  const c = new pg.Client({ connectionString: db.url, application_name: FOREIGN });
  // testDatabase's own after hook, which runs first, drops the database WITH (FORCE) and so ends them.
  c.on('error', () => undefined);
  await c.connect();
  return c;
}));
after(() => Promise.all(foreign.map((c) => c.end())));

/** The budget snapshot read as `url`'s role. */
async function snapshotAs(url: string) {
  const c = new pg.Client({ connectionString: url, application_name: 'bulkhead/operator/test/visibility' });
  await c.connect();
  try {
    return await takeServerSnapshot(c);
  } finally {
    await c.end();
  }
}

/** `bulkhead budget --json` as `url`'s role, and its text output. */
async function budgetCliAs(url: string) {
  const json = await runCli(['budget', '--database-url', url, '--headroom', '0', '--json']);
  const text = await runCli(['budget', '--database-url', url, '--headroom', '0']);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(text.code, 0, text.stderr);
  const password = new URL(url).password;
  for (const out of [json.stdout, json.stderr, text.stdout, text.stderr]) assert.ok(!out.includes(password), 'the password is never printed');
  return { printed: JSON.parse(json.stdout) as { accurate: boolean; hiddenSessions: number; external: number }, text: text.stdout };
}

test('without pg_monitor, other roles\' sessions still count as client backends, and the budget says it is not accurate and what to grant', async () => {
  const snapshot = await snapshotAs(role.url);
  assert.equal(snapshot.visibility.role, role.name);
  assert.equal(snapshot.visibility.statsVisible, false);
  // Their backend_type is NULL to this role: before, they fell out of the count and the budget over-granted.
  assert.equal(snapshot.connectionsByApplication.get(FOREIGN), FOREIGN_SESSIONS);
  assert.ok(snapshot.visibility.hiddenSessions >= FOREIGN_SESSIONS, `hidden ${snapshot.visibility.hiddenSessions}`);
  const budget = budgetServer(snapshot, { count: 0 }, []);
  assert.ok(budget.capacity.external >= FOREIGN_SESSIONS, `external ${budget.capacity.external}`);
  // Never more than the superuser's exact count of client backends would leave free (conservative).
  const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name = $1", [FOREIGN]);
  assert.equal(rows[0]?.n, FOREIGN_SESSIONS);

  const { printed, text } = await budgetCliAs(role.url);
  assert.equal(printed.accurate, false);
  assert.ok(printed.hiddenSessions >= FOREIGN_SESSIONS && printed.external >= FOREIGN_SESSIONS, JSON.stringify(printed));
  assert.match(text, new RegExp(`not accurate: \\d+ session\\(s\\) of other roles counted as client backends unseen; .*run GRANT pg_monitor TO "${role.name}";`));

  const metrics = new OperatorMetrics();
  metrics.setBudget('db:5432', budget);
  assert.match(await metrics.registry.metrics(), /^bulkhead_budget_accurate\{server="db:5432"\} 0$/m);
  const observer = new pg.Pool({ connectionString: role.url, max: 1 });
  await observeServer(observer, 'db:5432', metrics).finally(() => observer.end());
  const hidden = /^bulkhead_pg_connections\{server="db:5432",state="hidden"\} (\d+)$/m.exec(await metrics.registry.metrics());
  assert.ok(Number(hidden?.[1]) >= FOREIGN_SESSIONS, `pg_connections{state="hidden"} ${hidden?.[1]}`);
});

test('with pg_monitor, every session is seen: nothing hidden, the same count, and the budget is accurate', async () => {
  await db.pool.query(`GRANT pg_monitor TO ${ident(role.name)}`);
  const snapshot = await snapshotAs(role.url);
  assert.equal(snapshot.visibility.statsVisible, true);
  assert.equal(snapshot.visibility.hiddenSessions, 0);
  assert.equal(snapshot.connectionsByApplication.get(FOREIGN), FOREIGN_SESSIONS);

  const { printed, text } = await budgetCliAs(role.url);
  assert.equal(printed.accurate, true);
  assert.equal(printed.hiddenSessions, 0);
  assert.doesNotMatch(text, /not accurate|GRANT/);
  const metrics = new OperatorMetrics();
  metrics.setBudget('db:5432', budgetServer(snapshot, { count: 0 }, []));
  assert.match(await metrics.registry.metrics(), /^bulkhead_budget_accurate\{server="db:5432"\} 1$/m);
});
