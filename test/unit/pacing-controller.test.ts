import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findBreach, initialPace, nextPace, type PacingSpec, type Readings } from '../../runners/import/pacing/pacing-controller.js';
import { RollingSamples } from '../../runners/worker/rolling-samples.js';

const defaults = { minRowsPerSecond: 1000, minChunkRows: 1000, maxPauseSeconds: 10 };
const spec = (extra: Partial<PacingSpec>): PacingSpec => ({ ...defaults, ...extra });
const silent: Readings = { claimP95Ms: undefined, completionP95Ms: undefined, workersAsOf: undefined, lockWaiters: undefined, replicationLagSeconds: undefined };
const read = (r: Partial<Readings>): Readings => ({ ...silent, ...r });
const baseline = { claimP95Ms: 2, completionP95Ms: 4 };

test('findBreach: each signal against its limit, silent signals never breach, and the worst one is reported', () => {
  const cases: { name: string; spec: PacingSpec; readings: Readings; signal: string | undefined; value?: RegExp }[] = [
    { name: 'no limits', spec: spec({}), readings: read({ claimP95Ms: 900, lockWaiters: 50 }), signal: undefined },
    { name: 'silent workers', spec: spec({ maxWorkerP95Ms: 5, maxWorkerLatencyIncreasePercent: 25 }), readings: silent, signal: undefined },
    { name: 'within +25%', spec: spec({ maxWorkerLatencyIncreasePercent: 25 }), readings: read({ claimP95Ms: 2.5, completionP95Ms: 5 }), signal: undefined },
    { name: 'completion over +25%', spec: spec({ maxWorkerLatencyIncreasePercent: 25 }), readings: read({ claimP95Ms: 2.4, completionP95Ms: 8 }), signal: 'workerCompletionLatency', value: /p95 8 ms, \+100% over its 4 ms baseline, limit \+25%/ },
    { name: 'absolute p95', spec: spec({ maxWorkerP95Ms: 10 }), readings: read({ claimP95Ms: 12, completionP95Ms: 9 }), signal: 'workerClaimLatency', value: /p95 12 ms, limit 10 ms/ },
    { name: 'the worse of two', spec: spec({ maxWorkerP95Ms: 10 }), readings: read({ claimP95Ms: 12, completionP95Ms: 30 }), signal: 'workerCompletionLatency' },
    { name: 'any lock waiter', spec: spec({ maxLockWaiters: 0 }), readings: read({ lockWaiters: 1 }), signal: 'lockWaiters', value: /1 sessions waiting on the import's locks, limit 0/ },
    { name: 'waiters at the limit', spec: spec({ maxLockWaiters: 2 }), readings: read({ lockWaiters: 2 }), signal: undefined },
    { name: 'replication lag', spec: spec({ maxReplicationLagSeconds: 5 }), readings: read({ replicationLagSeconds: 7.25 }), signal: 'replicationLag', value: /replay lag 7.3 s, limit 5 s/ },
    { name: 'lag unknown', spec: spec({ maxReplicationLagSeconds: 5 }), readings: silent, signal: undefined },
  ];
  for (const c of cases) {
    const breach = findBreach(c.spec, baseline, c.readings);
    assert.equal(breach?.signal, c.signal, c.name);
    if (c.value) assert.match(breach?.value ?? '', c.value, c.name);
  }
});

test('nextPace: a breach halves the chunk and doubles the pause, once per new worker reading; clear readings grow it back, once per reading', () => {
  const s = spec({ maxWorkerLatencyIncreasePercent: 25, minRowsPerSecond: 1, maxPauseSeconds: 2 });
  const start = initialPace(s, 40_000);
  assert.deepEqual([start.chunkRows, start.pauseMs, start.state], [10_000, 0, 'Running']);
  const hot = read({ completionP95Ms: 20, workersAsOf: 1000 });
  const breach = findBreach(s, baseline, hot);
  const chunk = { rows: 10_000, seconds: 0.5, at: 2000 };
  const first = nextPace(s, 40_000, start, breach, hot, chunk);
  assert.deepEqual([first.chunkRows, first.pauseMs, first.state, first.backedOffAt], [5000, 100, 'Throttled', 2000]);
  // The same reading (written before the back-off) again: hold, do not halve twice for one observation.
  const held = nextPace(s, 40_000, first, breach, hot, { ...chunk, at: 2500 });
  assert.deepEqual([held.chunkRows, held.pauseMs, held.state], [5000, 100, 'Throttled']);
  // A newer reading, still hot: halve again; the pause doubles up to maxPauseSeconds and the chunk not under minChunkRows.
  let pace = held;
  for (let at = 3000; at < 20_000; at += 1000) pace = nextPace(s, 40_000, pace, breach, { ...hot, workersAsOf: at }, { ...chunk, at: at + 1 });
  assert.deepEqual([pace.chunkRows, pace.pauseMs], [1000, 2000]);
  // Clear: the chunk grows by a sixteenth of the largest per new reading, the pause halves and then stops.
  const cool = (at: number) => read({ completionP95Ms: 4, workersAsOf: at });
  let clear = nextPace(s, 40_000, pace, undefined, cool(30_000), chunk);
  assert.deepEqual([clear.chunkRows, clear.pauseMs, clear.state], [3500, 1000, 'Running']);
  // The same reading after the next chunk: no second step on one observation.
  const same = nextPace(s, 40_000, clear, undefined, cool(30_000), chunk);
  assert.deepEqual([same.chunkRows, same.pauseMs], [3500, 1000]);
  for (let at = 31_000; at < 60_000; at += 1000) clear = nextPace(s, 40_000, clear, undefined, cool(at), chunk);
  assert.deepEqual([clear.chunkRows, clear.pauseMs], [40_000, 0]);
  // With no worker publishing at all, every chunk counts as a clear reading.
  assert.equal(nextPace(s, 40_000, { ...pace, actedOn: 99_000 }, undefined, silent, chunk).chunkRows, 3500);
});

test('nextPace: the floor cuts the pause so that the chunk and its pause still make minRowsPerSecond', () => {
  const s = spec({ maxLockWaiters: 0, minRowsPerSecond: 2000, minChunkRows: 1000, maxPauseSeconds: 10 });
  const waiters = read({ lockWaiters: 3 });
  const breach = findBreach(s, baseline, waiters);
  const throttled = { chunkRows: 2000, pauseMs: 4000, state: 'Throttled' as const, breach, backedOffAt: 0, actedOn: 0 };
  // 2000 rows took 0.2 s; halved to 1000 rows (0.1 s) and the floor of 2000 rows/s allows a pause of 0.4 s.
  const next = nextPace(s, 50_000, throttled, breach, waiters, { rows: 2000, seconds: 0.2, at: 1 });
  assert.deepEqual([next.chunkRows, next.pauseMs, next.state], [1000, 400, 'AtFloor']);
  // A chunk slower than the floor on its own: no pause at all, still AtFloor.
  const slow = nextPace(s, 50_000, throttled, breach, waiters, { rows: 2000, seconds: 4, at: 1 });
  assert.deepEqual([slow.pauseMs, slow.state], [0, 'AtFloor']);
});

test('a worker summarises only the last window of its statements, in a ring that does not grow', () => {
  const samples = new RollingSamples(3000, 4);
  for (const [ms, at] of [[100, 0], [1, 5000], [2, 5100], [3, 5200], [4, 5300], [5, 5400]] as const) samples.add(ms, at);
  // Capacity 4: the oldest in-window samples (1) fell out; the 100 ms one is both too old and overwritten.
  assert.deepEqual(samples.summary(6000), { count: 4, p50: 3.5, p95: 4.85, p99: 4.97 });
  assert.equal(samples.summary(8500).count, 0, 'nothing within 3 s of 8.5 s');
});
