/**
 * The generated reference pages under docs/reference are what `npm run docs:generate` writes from this checkout:
 * a CRD, a metric or a flag changed without regenerating them fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { referencePages } from '../../scripts/docs/reference-pages.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pages = await referencePages(root);

test('the generated reference pages are the CRD, metrics, CLI and chart values references', () => {
  assert.deepEqual(Object.keys(pages).sort(), ['docs/reference/chart-values.md', 'docs/reference/cli.md', 'docs/reference/crds.md', 'docs/reference/metrics.md']);
});

for (const [path, generated] of Object.entries(pages)) {
  test(`${path} is what npm run docs:generate writes`, () => {
    const committed = existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : '';
    assert.ok(committed === generated, `${path} is stale: run npm run docs:generate`);
  });
}

test('each reference covers what it is generated from', () => {
  const crds = pages['docs/reference/crds.md'] ?? '';
  for (const field of ['`spec.source.url`', '`spec.target.transforms.<name>.normalize`', '`status.conditions[].type`', '`spec.queue.batchSize`']) {
    assert.ok(crds.includes(field), `crds.md lists ${field}`);
  }
  assert.match(crds, /\| `spec\.merge\.chunkRows` \| integer \| `50000` \| value 1 to 10000000 \| Rows merged per transaction/);
  assert.match(crds, /\(set exactly one of url, configMap, persistentVolumeClaim and path\)/, 'CEL rules with their messages');
  const metrics = pages['docs/reference/metrics.md'] ?? '';
  for (const name of ['bulkhead_reconcile_total', 'bulkhead_import_rows_total', 'bulkhead_worker_claim_duration_seconds']) {
    assert.ok(metrics.includes(`\`${name}\``), `metrics.md lists ${name}`);
  }
  assert.match(metrics, /\| `bulkhead_budget_connections` \| gauge \| `server`, `state` \|/);
  const cli = pages['docs/reference/cli.md'] ?? '';
  for (const usage of ['Usage: bulkhead [options] [command]', 'Usage: bulkhead import [options]', 'Usage: bulkhead queue init [options]', 'Usage: bulkhead operator [options]']) {
    assert.ok(cli.includes(usage), `cli.md has ${usage}`);
  }
  const values = pages['docs/reference/chart-values.md'] ?? '';
  for (const row of [/\| `replicas` \| integer \| `1` \| /, /\| `runner\.metricsPort` \| integer \| `9090` \| /, /\| `prometheusRule\.runbookBaseUrl` \| string \| /]) {
    assert.match(values, row);
  }
  assert.doesNotMatch(values, /\| `[^`]+` \| [^|]+ \| [^|]* \|\s*\|$/m, 'every value has a description');
});

test('the README\'s operator flag table and chart values table name only what exists, and every operator flag', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const cli = pages['docs/reference/cli.md'] ?? '';
  const operatorHelp = cli.slice(cli.indexOf('Usage: bulkhead operator [options]'));
  const operatorFlags = [...operatorHelp.slice(0, operatorHelp.indexOf('Global Options:')).matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1] ?? '').filter((f) => f !== '--help');
  assert.ok(operatorFlags.length > 10, `operator flags: ${operatorFlags.join(' ')}`);
  for (const flag of operatorFlags) assert.ok(readme.includes(`| \`${flag}`) || readme.includes(`, \`${flag}`), `README's operator flag table lists ${flag}`);
  const values = pages['docs/reference/chart-values.md'] ?? '';
  const table = readme.slice(readme.indexOf('| value | default | meaning |'));
  for (const row of table.slice(0, table.indexOf('\n\n')).split('\n').slice(2)) {
    const first = /^\| `([^`]+)`/.exec(row)?.[1] ?? '';
    assert.ok(values.includes(`| \`${first}`), `README's values table names ${first}, which the chart has`);
  }
});
