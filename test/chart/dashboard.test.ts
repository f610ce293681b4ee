/**
 * The Grafana dashboard, charts/bulkhead/dashboards/bulkhead.json, as Grafana loads it: template variables for the
 * datasource, namespace, server and StressRun; every panel described; every rate over $__rate_interval; every
 * query on a metric and labels that the operator's and runners' registries really export; claim latency per fleet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportedSeries, metricsIn, selectorsIn } from './exported-metrics.js';

interface Target { refId: string; expr: string }
interface Panel { id: number; type: string; title: string; description?: string; datasource?: { type: string; uid: string }; targets?: Target[] }
interface Variable { name: string; type: string; query: string; datasource?: { uid: string }; regex?: string; includeAll?: boolean; allValue?: string; description?: string }
interface Dashboard { uid: string; panels: Panel[]; templating: { list: Variable[] } }

const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../../../charts/bulkhead/dashboards/bulkhead.json', import.meta.url)), 'utf8')) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const queries = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));

/**
 * Labels a series gets from its scrape rather than from bulkhead's code: the target's (namespace, pod, …, which the
 * ServiceMonitor and PodMonitor add) and the runner pods' own bulkhead.dev/stressrun and bulkhead.dev/csvimport
 * labels, which the runner PodMonitor copies as stressrun and csvimport.
 */
const SCRAPE_LABELS = new Set(['namespace', 'pod', 'instance', 'job', 'service', 'endpoint', 'container', 'stressrun', 'csvimport']);

/** The metric names and label a `label_values(selector, label)` variable query reads. */
function labelValuesQuery(query: string): { metrics: string[]; label: string; selector: string } {
  const m = /^label_values\((.*),\s*(\w+)\)$/.exec(query);
  assert.ok(m, `a label_values(selector, label) query: ${query}`);
  const selector = m[1] ?? '';
  const byName = /__name__=~"([^"]+)"/.exec(selector);
  return { metrics: byName ? (byName[1] ?? '').split('|') : metricsIn(selector), label: m[2] ?? '', selector };
}

test('template variables: datasource, and namespace, server and StressRun, each multi-valued with All matching every series', () => {
  assert.deepEqual([...variables.keys()], ['datasource', 'namespace', 'server', 'stressrun']);
  assert.equal(variables.get('datasource')?.type, 'datasource');
  assert.equal(variables.get('datasource')?.query, 'prometheus');
  for (const name of ['namespace', 'server', 'stressrun']) {
    const v = variables.get(name);
    assert.equal(v?.type, 'query', name);
    assert.equal(v.datasource?.uid, '${datasource}', `${name} queries the chosen datasource`);
    assert.equal(v.includeAll, true, name);
    // All as .* rather than the list of values, so series that lack the label (a runner scraped without it) still show.
    assert.equal(v.allValue, '.*', name);
    assert.ok(v.description, `${name} has a description`);
  }
  // StressRun values are the names of the chosen namespaces' StressRuns, out of bulkhead_queue_rows' "<namespace>/<name>".
  const stressrun = variables.get('stressrun');
  assert.match(stressrun?.query ?? '', /stressrun=~"\$namespace\/\.\*"/);
  const names = new RegExp((stressrun?.regex ?? '').replace(/^\/|\/$/g, ''));
  assert.equal(names.exec('loadtest/creatives')?.[1], 'creatives');
  assert.equal(names.exec('loadtest/a/b')?.[1], 'a/b', 'the name is everything after the namespace');
});

test('every variable query reads exported metrics that carry the label it lists', () => {
  const exported = exportedSeries();
  for (const name of ['namespace', 'server', 'stressrun']) {
    const { metrics, label } = labelValuesQuery(variables.get(name)?.query ?? '');
    assert.ok(metrics.length > 0, name);
    for (const metric of metrics) {
      const labels = exported.get(metric);
      assert.ok(labels, `$${name} reads ${metric}, which no registry exports`);
      assert.ok(labels.has(label) || SCRAPE_LABELS.has(label), `$${name}: ${metric} has no ${label} label`);
    }
  }
});

test('every panel has a description, queries the chosen datasource, and reads exported metrics with their own labels', () => {
  const exported = exportedSeries();
  assert.ok(queryPanels.length >= 12, `panels: ${queryPanels.length}`);
  for (const panel of dashboard.panels) assert.ok((panel.description ?? '').length > 20, `panel "${panel.title}" has a description`);
  for (const panel of queryPanels) {
    assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
    assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has a query`);
  }
  assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique');
  for (const { panel, expr } of queries) {
    const metrics = metricsIn(expr);
    assert.ok(metrics.length > 0, `${panel}: ${expr} reads no metric`);
    for (const metric of metrics) assert.ok(exported.has(metric), `${panel}: ${metric} is not exported by the operator or a runner`);
    for (const { metric, labels } of selectorsIn(expr)) {
      for (const label of labels) assert.ok(exported.get(metric)?.has(label) || SCRAPE_LABELS.has(label), `${panel}: ${metric} has no label ${label}`);
    }
  }
  // Every metric bulkhead exports is on the dashboard (histograms by their buckets), but the process defaults.
  const shown = new Set(queries.flatMap((q) => metricsIn(q.expr)));
  const bulkhead = [...exported.keys()].filter((m) => m.startsWith('bulkhead_') && !/_(sum|count)$/.test(m));
  assert.deepEqual(bulkhead.filter((m) => !shown.has(m)), []);
});

test('every rate and increase is over $__rate_interval, and every filter uses the variables', () => {
  for (const { panel, expr } of queries) {
    for (const range of expr.matchAll(/\[([^\]]*)\]/g)) assert.equal(range[1], '$__rate_interval', `${panel}: ${expr}`);
  }
  const using = (variable: string) => queries.filter((q) => q.expr.includes(`$${variable}`)).map((q) => q.panel);
  for (const variable of ['namespace', 'server', 'stressrun']) assert.ok(using(variable).length >= 3, `$${variable} filters a few panels: ${using(variable).join(', ')}`);
  // A panel on a metric with a server label filters by $server; one on a runner metric by $namespace.
  const exported = exportedSeries();
  for (const { panel, expr } of queries) {
    for (const metric of metricsIn(expr)) {
      if (exported.get(metric)?.has('server')) assert.match(expr, /server=~"\$server"/, `${panel} filters ${metric} by server`);
      if (/^bulkhead_(worker|import)_/.test(metric)) assert.match(expr, /namespace=~"\$namespace"/, `${panel} filters ${metric} by namespace`);
      if (metric.startsWith('bulkhead_worker_')) assert.match(expr, /stressrun=~"\$stressrun"/, `${panel} filters ${metric} by StressRun`);
    }
  }
});

test('claim latency is shown per StressRun fleet: quantiles of the worker histogram summed by namespace and stressrun', () => {
  const claim = queries.filter((q) => q.expr.includes('bulkhead_worker_claim_duration_seconds_bucket'));
  assert.ok(claim.length >= 1);
  for (const { panel, expr } of claim) {
    assert.match(expr, /^histogram_quantile\(0\.\d+, sum by \(namespace, stressrun, le\) \(rate\(bulkhead_worker_claim_duration_seconds_bucket\{/, `${panel}: ${expr}`);
  }
  assert.ok(claim.some((q) => q.expr.startsWith('histogram_quantile(0.95')), 'a p95 per fleet');
});
