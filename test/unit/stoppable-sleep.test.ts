import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { sleepersWaitingOn, sleepUnlessStopped } from '../../runners/shared/stoppable-sleep.js';

test('a hundred sleeps on one signal share one abort listener and leave nothing behind when their time passes', async () => {
  const stop = new AbortController();
  const sleeps = Array.from({ length: 100 }, () => sleepUnlessStopped(5, stop.signal));
  assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
  assert.equal(sleepersWaitingOn(stop.signal), 100);
  assert.deepEqual(new Set(await Promise.all(sleeps)), new Set([true]), 'each sleep ran its full time');
  assert.equal(sleepersWaitingOn(stop.signal), 0);
  for (let i = 0; i < 50; i++) await sleepUnlessStopped(0, stop.signal);
  assert.equal(getEventListeners(stop.signal, 'abort').length, 1, 'sleeps one after another add no listener either');
});

test('aborting the signal wakes every sleep at once with false, and a sleep on an aborted signal returns false at once', async () => {
  const stop = new AbortController();
  const started = Date.now();
  const sleeps = Array.from({ length: 20 }, () => sleepUnlessStopped(60_000, stop.signal));
  stop.abort();
  assert.deepEqual(new Set(await Promise.all(sleeps)), new Set([false]));
  assert.equal(await sleepUnlessStopped(60_000, stop.signal), false);
  assert.ok(Date.now() - started < 5000, 'no sleep waited for its timer');
  assert.equal(sleepersWaitingOn(stop.signal), 0);
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
});
