import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyBudgetAccuracy, budgetAccuracy, BUDGET_ACCURATE } from '../../operator/budget/budget-accurate.js';
import { importClaim, stressRunClaim } from '../../operator/budget/claims.js';
import { grantConnections } from '../../operator/budget/grant-connections.js';
import { parseHeadroom } from '../../operator/budget/headroom.js';
import { budgetServer, describeWait } from '../../operator/budget/server-budget.js';
import { serverCapacity } from '../../operator/budget/server-capacity.js';

const visibility = { role: 'app', statsVisible: true, hiddenSessions: 0 };
const at = (minute: number) => `2026-11-28T10:${String(minute).padStart(2, '0')}:00Z`;
const imp = (name: string, connections: number, held = 0, priority = 0, minute = 0) =>
  importClaim({ namespace: 'ns', name, createdAt: at(minute) }, { connections, priority }, held);
const stress = (name: string, workers: number, held = 0, priority = 0, minute = 0, perWorker = 1) =>
  stressRunClaim({ namespace: 'ns', name, createdAt: at(minute) }, { workers, connectionsPerWorker: perWorker, priority }, held);

test('capacity is max_connections minus reserved, external and headroom; granted sessions are not external', () => {
  const snapshot = {
    maxConnections: 40,
    reservedConnections: 3,
    connectionsByApplication: new Map([['psql', 2], ['bulkhead/import/ns/a', 3], ['bulkhead/operator/x/y', 1]]),
    visibility,
  };
  // a holds 2 connections but has 3 sessions: the extra one is external, like psql's 2 and the operator's 1.
  const c = serverCapacity(snapshot, parseHeadroom('10%'), new Map([['bulkhead/import/ns/a', 2]]));
  assert.deepEqual(c, { maxConnections: 40, reserved: 3, external: 4, headroom: 4, capacity: 29 });
  assert.equal(serverCapacity(snapshot, parseHeadroom('0'), new Map()).capacity, 40 - 3 - 6);
  assert.equal(serverCapacity({ ...snapshot, maxConnections: 5 }, parseHeadroom('2'), new Map()).capacity, 0);
});

test('headroom parses percentages and counts and refuses the rest', () => {
  assert.deepEqual(parseHeadroom('10%'), { fraction: 0.1 });
  assert.deepEqual(parseHeadroom('7'), { count: 7 });
  for (const bad of ['', '-1', '100%', 'ten', '1.5']) assert.throws(() => parseHeadroom(bad), /--headroom: expected/);
});

test('grants go by priority, then age; an import is all or nothing and blocks those behind it', () => {
  const ledger = grantConnections(6, [imp('late', 2, 0, 0, 5), imp('big', 5, 0, 0, 1), imp('urgent', 3, 0, 9, 9)]);
  assert.equal(ledger.units.get('CsvImport/ns/urgent'), 1);
  assert.equal(ledger.units.get('CsvImport/ns/big'), 0, '5 do not fit in the 3 left');
  assert.equal(ledger.units.get('CsvImport/ns/late'), 0, 'the 2 that would fit wait behind the older import');
  assert.equal(ledger.granted, 3);
  assert.deepEqual(ledger.waiting.get('CsvImport/ns/big'), { wanted: 5, free: 3, neverFits: false });
});

test('a StressRun gets as many whole workers as fit, and grows when connections free up', () => {
  let ledger = grantConnections(7, [imp('a', 4, 1, 0, 0), stress('s', 5, 0, 0, 1, 1)]);
  assert.equal(ledger.units.get('StressRun/ns/s'), 3);
  assert.equal(ledger.free, 0);
  ledger = grantConnections(7, [stress('s', 5, 3, 0, 1, 1)]);
  assert.equal(ledger.units.get('StressRun/ns/s'), 5);
  ledger = grantConnections(7, [stress('two-each', 5, 0, 0, 1, 2)]);
  assert.equal(ledger.units.get('StressRun/ns/two-each'), 3, 'three workers of two connections fit in 7');
});

test('held grants are kept before new ones; when capacity shrinks, workers are taken back, imports keep theirs', () => {
  let ledger = grantConnections(5, [imp('running', 3, 3, 0, 5), imp('urgent', 3, 0, 9, 9)]);
  assert.equal(ledger.units.get('CsvImport/ns/running'), 1, 'a running import is not cut off by a higher priority');
  assert.equal(ledger.units.get('CsvImport/ns/urgent'), 0);
  ledger = grantConnections(4, [imp('running', 3, 3, 0, 5), stress('old', 4, 4, 0, 0), stress('new', 2, 2, 0, 7)]);
  assert.equal(ledger.units.get('StressRun/ns/new'), 0, 'the last in order gives back first');
  assert.equal(ledger.units.get('StressRun/ns/old'), 1);
  assert.equal(ledger.granted, 4);
});

test('a claim larger than the whole capacity is skipped, not left blocking the rest', () => {
  const budget = budgetServer({ maxConnections: 10, reservedConnections: 0, connectionsByApplication: new Map(), visibility }, { count: 0 }, [imp('huge', 20, 0, 5), imp('small', 2)]);
  assert.equal(budget.ledger.units.get('CsvImport/ns/small'), 1);
  assert.match(describeWait(budget, 'CsvImport/ns/huge') ?? '', /more than this server's whole capacity .*capacity 10/);
  assert.equal(describeWait(budget, 'CsvImport/ns/small'), undefined);
});

test('however many claims arrive at once, the total granted never exceeds the capacity', () => {
  for (let seed = 1; seed <= 200; seed++) {
    let x = seed;
    const rand = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n);
    const claims = Array.from({ length: 20 }, (_, i) =>
      rand(2) ? imp(`i${i}`, 1 + rand(4), 0, rand(3), rand(60)) : stress(`s${i}`, 1 + rand(6), 0, rand(3), rand(60), 1 + rand(2)));
    const capacity = rand(30);
    const ledger = grantConnections(capacity, claims);
    const total = claims.reduce((sum, c) => sum + (ledger.units.get(c.key) ?? 0) * c.connectionsPerUnit, 0);
    assert.ok(total <= capacity, `seed ${seed}: granted ${total} > capacity ${capacity}`);
    assert.equal(total, ledger.granted);
  }
});

test('BudgetAccurate: False with the GRANT to run and one Warning Event when it turns False, none while it stays; True when stats are visible', () => {
  const hidden = budgetAccuracy({ role: 'app "x"', statsVisible: false, hiddenSessions: 6 });
  assert.equal(hidden.reason, 'StatsHidden');
  assert.match(hidden.message, /role "app ""x""" lacks pg_read_all_stats.*run GRANT pg_monitor TO "app ""x""";$/);
  const first = applyBudgetAccuracy([], hidden, 1, at(1));
  assert.deepEqual(first.conditions.map((c) => [c.type, c.status, c.reason]), [[BUDGET_ACCURATE, 'False', 'StatsHidden']]);
  assert.deepEqual(first.event, { type: 'Warning', reason: 'StatsHidden', message: hidden.message });
  const again = applyBudgetAccuracy(first.conditions, budgetAccuracy({ role: 'app "x"', statsVisible: false, hiddenSessions: 9 }), 1, at(2));
  assert.equal(again.event, undefined, 'no second Event while it stays False');
  assert.deepEqual(again.conditions, first.conditions, 'the message leaves out the moving count: no status churn');
  const fixed = applyBudgetAccuracy(again.conditions, budgetAccuracy({ role: 'app', statsVisible: true, hiddenSessions: 0 }), 1, at(3));
  assert.deepEqual(fixed.conditions.map((c) => [c.status, c.reason]), [['True', 'StatsVisible']]);
  assert.equal(fixed.event, undefined);
  assert.equal(applyBudgetAccuracy(fixed.conditions, undefined, 1, at(4)).conditions[0]?.reason, 'StatsVisible', 'no budget read: left as it is');
});
