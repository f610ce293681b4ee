/**
 * Lock waiters in /metrics, read as an ordinary role: every application_name a client chose is folded into
 * application="other", bulkhead's own are kept, and the waits of other roles are seen at all (pg_locks, not
 * pg_stat_activity's wait_event_type, which such a role cannot read).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { OperatorMetrics } from '../../operator/operator-metrics.js';
import { OTHER_APPLICATION } from '../../operator/observer/application-label.js';
import { observeServer } from '../../operator/observer/observe-servers.js';
import { waitFor } from '../harness/kubectl.js';
import { loginRole } from '../harness/login-role.js';
import { testDatabase } from '../harness/test-database.js';

const db = await testDatabase(import.meta.url);
const role = await loginRole(db, 'bh_lockwait_nomon');
await db.pool.query('CREATE TABLE contended (id int)');
const SERVER = 'db:5432';
const OWN = 'bulkhead/worker/ns/w';
// What clients put in application_name: request ids, user names, addresses; each one distinct.
const FOREIGN = Array.from({ length: 16 }, (_, i) => `req-${(0x8f3a1c + i).toString(16)} user=alice${i}@example.com`);
// A client may also dress up as bulkhead: names of no CR the operator knows fold into other too.
const IMPOSTORS = Array.from({ length: 4 }, (_, i) => `bulkhead/worker/ns/impostor-${i}`);

const clients: pg.Client[] = [];
after(() => Promise.all(clients.map((c) => c.end().catch(() => undefined))));
async function session(applicationName: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url, application_name: applicationName });
  c.on('error', () => undefined); // the database is dropped WITH (FORCE) by testDatabase's after hook
  await c.connect();
  clients.push(c);
  return c;
}

/** The bulkhead_pg_lock_waiting_backends series of SERVER, by application label. */
function lockWaiters(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const m of text.matchAll(/^bulkhead_pg_lock_waiting_backends\{server="db:5432",application="((?:[^"\\]|\\.)*)"\} (\d+)$/gm)) series.set(m[1] ?? '', Number(m[2]));
  return series;
}

test('many distinct foreign application_names waiting on a lock make one application="other" series; bulkhead\'s own is kept', async () => {
  const holder = await session('lock-holder');
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE contended IN ACCESS EXCLUSIVE MODE');
  const waits: Promise<unknown>[] = [];
  for (const name of [...FOREIGN, ...IMPOSTORS, OWN]) waits.push((await session(name)).query('SELECT count(*) FROM contended'));
  await waitFor(async () => {
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'contended'::regclass AND NOT granted");
    return { done: rows[0]?.n === FOREIGN.length + IMPOSTORS.length + 1, value: rows[0]?.n };
  }, { what: 'every session to wait on the lock' });

  const metrics = new OperatorMetrics();
  const observer = new pg.Pool({ connectionString: role.url, max: 1 });
  try {
    await observeServer(observer, SERVER, metrics, (application) => application === OWN);
  } finally {
    await observer.end();
  }
  const text = await metrics.registry.metrics();
  const series = lockWaiters(text);
  // Other test files share the server and may have waiters of their own: those fold the same way.
  assert.ok((series.get(OTHER_APPLICATION) ?? 0) >= FOREIGN.length + IMPOSTORS.length, `other: ${series.get(OTHER_APPLICATION)}`);
  assert.equal(series.get(OWN), 1);
  for (const label of series.keys()) assert.ok(label === OTHER_APPLICATION || label.startsWith('bulkhead/'), `label ${label}`);
  assert.ok(!/user=|@example\.com|req-|impostor/.test(text), 'no client-chosen application_name reaches /metrics');
  const longest = /^bulkhead_pg_lock_wait_seconds_max\{server="db:5432"\} (\S+)$/m.exec(text);
  assert.ok(Number(longest?.[1]) > 0, `longest lock wait ${longest?.[1]}`);

  await holder.query('COMMIT');
  await Promise.all(waits);
});
