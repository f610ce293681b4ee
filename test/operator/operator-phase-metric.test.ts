/**
 * bulkhead_csvimport_phase on the operator's /metrics, scraped while real CsvImports move through their phases on a
 * real control plane: one series per CsvImport, carrying its status.phase (Pending while its claim does not fit,
 * then Running, Succeeded; Failed for bad input), and none once the CsvImport is deleted. The alerts
 * BulkheadImportPending and BulkheadImportFailed read it.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { waitFor } from '../harness/kubectl.js';
import { itemsCsv, itemsImport, operatorEnv, stopAfterTests, type OperatorEnv, type OperatorProcess } from './operator-fixture.js';

const NS = 'phases';
let env: OperatorEnv;
let operator: OperatorProcess;

stopAfterTests(() => env);

before(async () => {
  env = await operatorEnv({ maxConnections: 20, namespace: NS });
  await env.pool.query('CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int)');
  operator = await env.startOperator();
});

/** The phases of a CsvImport's bulkhead_csvimport_phase series on /metrics, with their values, e.g. { Pending: 1 }. */
async function phaseSeries(name: string): Promise<Record<string, number>> {
  const text = await fetch(`http://127.0.0.1:${operator.port}/metrics`).then((r) => r.text());
  const series: Record<string, number> = {};
  for (const m of text.matchAll(/^bulkhead_csvimport_phase\{namespace="([^"]*)",csvimport="([^"]*)",phase="([^"]*)"\} (\S+)$/gm)) {
    if (m[1] === NS && m[2] === name) series[m[3] ?? ''] = Number(m[4]);
  }
  return series;
}

/** Waits until the CsvImport's only series is `phase` with the value 1. */
function waitForPhaseSeries(name: string, phase: string, timeoutMs = 60_000): Promise<Record<string, number>> {
  return waitFor(async () => {
    const series = await phaseSeries(name);
    return { done: JSON.stringify(series) === JSON.stringify({ [phase]: 1 }), value: series };
  }, { what: `bulkhead_csvimport_phase of ${name} to be only ${phase}`, timeoutMs });
}

test('a CsvImport has one phase series that follows its status: Pending, Running, Succeeded; none once deleted', async () => {
  // 64 connections never fit a server of max_connections 20: Pending, with the budget's message.
  await env.k.applyYaml(itemsImport(NS, 'moving', env.serveCsv('never.csv', itemsCsv(1, 10)), { connections: 64 }));
  await env.waitStatus<{ phase?: string }>('csvimport', 'moving', 'to wait in Pending', (s) => s.phase === 'Pending');
  await waitForPhaseSeries('moving', 'Pending');

  // A spec that fits, and a source held half-way: Running for as long as the test wants.
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await env.k.applyYaml(itemsImport(NS, 'moving', env.serveCsv('moving.csv', itemsCsv(1, 2000), held), { connections: 1 }));
  await env.waitStatus<{ phase?: string }>('csvimport', 'moving', 'to run', (s) => s.phase === 'Running');
  await waitForPhaseSeries('moving', 'Running');

  release();
  const done = await env.waitStatus<{ phase?: string }>('csvimport', 'moving', 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(done.phase, 'Succeeded', JSON.stringify(done));
  await waitForPhaseSeries('moving', 'Succeeded');

  const r = await env.k.kubectl(['delete', 'csvimport', 'moving', '-n', NS, '--wait=true', '--timeout=60s']);
  assert.equal(r.code, 0, r.stderr);
  await waitFor(async () => {
    const series = await phaseSeries('moving');
    return { done: Object.keys(series).length === 0, value: series };
  }, { what: 'the deleted CsvImport\'s phase series to go', timeoutMs: 30_000 });
});

test('a CsvImport that fails on bad input has its series at Failed', async () => {
  await env.k.applyYaml(itemsImport(NS, 'bad-header', env.serveCsv('bad-header.csv', 'id,name,colour\n1,a,red\n')));
  const status = await env.waitStatus<{ phase?: string }>('csvimport', 'bad-header', 'to finish', (s) => s.phase === 'Succeeded' || s.phase === 'Failed', 90_000);
  assert.equal(status.phase, 'Failed', JSON.stringify(status));
  await waitForPhaseSeries('bad-header', 'Failed');
});
