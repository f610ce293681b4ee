/**
 * The Helm chart in charts/bulkhead, checked with the real helm and promtool (built from Go modules by
 * test/tools/build-tools.sh; a missing tool fails the test with toolPath's message): lint, the rendered
 * objects for default values and for a namespaced, leader-elected, alerting variant, the CRDs against
 * crds/, and the alerts with `promtool check rules` and `promtool test rules` (test/chart/alerts.test.yaml).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { toolPath } from '../harness/tools.js';
import { metricsIn, unknownMetrics } from './exported-metrics.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const chart = join(repo, 'charts', 'bulkhead');
const releaseNamespace = 'bulkhead-system';
const work = mkdtempSync(join(tmpdir(), 'bulkhead-chart-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** The variant: two namespaces, leader election asked for with one replica, the PrometheusRule on. */
const variant = {
  namespaces: ['etl', 'loadtest'],
  leaderElection: { enabled: true },
  prometheusRule: { enabled: true },
  serviceMonitor: { enabled: true },
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}
interface PolicyRule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }
interface RbacRole extends Manifest { rules: PolicyRule[] }
interface RbacBinding extends Manifest {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}
interface Probe { httpGet: { path: string; port: string | number } }
interface Container {
  image: string;
  command?: string[];
  args: string[];
  env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } }; value?: string }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface Deployment extends Manifest {
  spec: {
    replicas: number;
    strategy?: { type: string };
    template: { spec: { serviceAccountName: string; securityContext: Record<string, unknown>; containers: Container[]; hostNetwork?: boolean; dnsPolicy?: string } };
  };
}
interface PrometheusRule extends Manifest {
  spec: { groups: { name: string; rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[] };
}
interface AlertUnitTests {
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
}

function run(tool: string, args: string[]): string {
  const path = toolPath(tool);
  try {
    return execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${tool} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

function valuesFile(name: string, values: object): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

/** `helm template` of the chart, as parsed objects. */
function render(values: object = {}): Manifest[] {
  const out = run('helm', ['template', 'bulkhead', chart, '--namespace', releaseNamespace, '--values', valuesFile('render', values)]);
  return parseAllDocuments(out).map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

function ofKind<T extends Manifest>(objects: Manifest[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

function only<T extends Manifest>(objects: Manifest[], kind: string): T {
  const found = ofKind<T>(objects, kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0]!;
}

function operatorContainer(objects: Manifest[]): Container {
  const containers = only<Deployment>(objects, 'Deployment').spec.template.spec.containers;
  assert.equal(containers.length, 1);
  return containers[0]!;
}

/** The value after a flag in an args list, or undefined when the flag is absent. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

/** Rules as comparable strings, one per (group, resource), e.g. "batch/jobs: create,delete,get". */
function flatten(rules: PolicyRule[]): string[] {
  assert.ok(rules.every((r) => !r.resourceNames), 'no rule is expected to carry resourceNames');
  return rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g || 'core'}/${res}: ${[...r.verbs].sort().join(',')}`))).sort();
}

const expectedRules = [
  'apps/deployments: create,delete,get,list,patch,update,watch',
  'batch/jobs: create,delete,get,list,patch,update,watch',
  'bulkhead.dev/csvimports/finalizers: update',
  'bulkhead.dev/csvimports/status: get,patch,update',
  'bulkhead.dev/csvimports: get,list,patch,update,watch',
  'bulkhead.dev/stressruns/finalizers: update',
  'bulkhead.dev/stressruns/status: get,patch,update',
  'bulkhead.dev/stressruns: get,list,patch,update,watch',
  'core/events: create,patch',
  'core/pods: get,list,watch',
  'core/secrets: get',
  'events.k8s.io/events: create,patch',
];

test('helm lint --strict passes with the default values and with the variant', () => {
  run('helm', ['lint', '--strict', chart, '--namespace', releaseNamespace]);
  run('helm', ['lint', '--strict', chart, '--namespace', releaseNamespace, '--values', valuesFile('lint-variant', variant)]);
});

test('default values: one operator replica, no leader election, replaced rather than rolled, the operator image everywhere', () => {
  const objects = render();
  const deployment = only<Deployment>(objects, 'Deployment');
  assert.equal(deployment.metadata.namespace, releaseNamespace);
  assert.equal(deployment.spec.replicas, 1);
  assert.equal(deployment.spec.strategy?.type, 'Recreate');
  const c = operatorContainer(objects);
  assert.equal(c.image, 'bulkhead:0.1.0');
  assert.deepEqual(c.args, [
    'operator', '--namespaces', releaseNamespace, '--port', '8080', '--runner-image', 'bulkhead:0.1.0', '--image-pull-policy', 'IfNotPresent',
    '--observe-interval-seconds', '10', '--headroom', '10%',
  ]);
  assert.deepEqual(c.command, ['/usr/bin/tini', '--', 'node', '--optimize-for-size', '--max-semi-space-size=1', '/app/dist/runners/cli.js'], 'tini as PID 1, then node with the V8 flags the operator benchmark uses');
  assert.deepEqual(ofKind(objects, 'Role').filter((r) => r.metadata.name.endsWith('-leader-election')), [], 'no Lease Role without leader election');
});

test('default values: downward-API env, /healthz and /readyz probes on the metrics port, a restricted securityContext', () => {
  const objects = render();
  const c = operatorContainer(objects);
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
  assert.deepEqual(env, { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace' });
  assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(c.livenessProbe.httpGet.port, 'http');
  assert.equal(c.readinessProbe.httpGet.port, 'http');
  assert.deepEqual(c.securityContext, {
    runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
  });
  const pod = only<Deployment>(objects, 'Deployment').spec.template.spec;
  assert.equal(pod.hostNetwork, undefined, 'the pod network unless hostNetwork is asked for');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.ok(c.resources.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory, 'requests and a memory limit');
});

test('default values: the release namespace only, with a Role of exactly the rules the operator needs and nothing cluster-wide', () => {
  const objects = render();
  const sa = only(objects, 'ServiceAccount');
  assert.equal(only<Deployment>(objects, 'Deployment').spec.template.spec.serviceAccountName, sa.metadata.name);
  assert.equal(flag(operatorContainer(objects).args, '--namespaces'), releaseNamespace, 'the operator watches the release namespace only');
  assert.deepEqual(ofKind(objects, 'ClusterRole'), [], 'no ClusterRole: no cluster-wide get on Secrets, no Jobs or Deployments everywhere');
  assert.deepEqual(ofKind(objects, 'ClusterRoleBinding'), []);
  const role = only<RbacRole>(objects, 'Role');
  assert.equal(role.metadata.namespace, releaseNamespace);
  assert.deepEqual(flatten(role.rules), expectedRules);
  const binding = only<RbacBinding>(objects, 'RoleBinding');
  assert.equal(binding.metadata.namespace, releaseNamespace);
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: releaseNamespace }]);
});

test('clusterWide: true watches every namespace with a ClusterRole, and refuses a namespaces list beside it', () => {
  const objects = render({ clusterWide: true });
  assert.equal(flag(operatorContainer(objects).args, '--namespaces'), undefined, 'no --namespaces: every namespace');
  assert.deepEqual(flatten(only<RbacRole>(objects, 'ClusterRole').rules), expectedRules);
  const binding = only<RbacBinding>(objects, 'ClusterRoleBinding');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: only(objects, 'ClusterRole').metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: only(objects, 'ServiceAccount').metadata.name, namespace: releaseNamespace }]);
  assert.deepEqual(ofKind(objects, 'Role'), []);
  assert.throws(() => render({ clusterWide: true, namespaces: ['etl'] }), /clusterWide: true watches every namespace; leave namespaces empty/);
});

test('runner pull policy, extra env and hostNetwork pass through to the operator pod', () => {
  const objects = render({ runnerImagePullPolicy: 'Never', hostNetwork: true, extraEnv: [{ name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' }] });
  const c = operatorContainer(objects);
  assert.equal(flag(c.args, '--image-pull-policy'), 'Never');
  assert.deepEqual(c.env.at(-1), { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' });
  const pod = only<Deployment>(objects, 'Deployment').spec.template.spec;
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
});

test('a namespaces list: --namespaces a,b, and a Role and RoleBinding in each namespace instead of any ClusterRole', () => {
  const objects = render({ namespaces: variant.namespaces });
  assert.equal(flag(operatorContainer(objects).args, '--namespaces'), 'etl,loadtest');
  assert.deepEqual(ofKind(objects, 'ClusterRole'), []);
  assert.deepEqual(ofKind(objects, 'ClusterRoleBinding'), []);
  const roles = ofKind<RbacRole>(objects, 'Role');
  assert.deepEqual(roles.map((r) => r.metadata.namespace).sort(), ['etl', 'loadtest']);
  for (const role of roles) assert.deepEqual(flatten(role.rules), expectedRules);
  const bindings = ofKind<RbacBinding>(objects, 'RoleBinding');
  assert.deepEqual(bindings.map((b) => `${b.metadata.namespace} -> Role ${b.roleRef.name}`).sort(),
    roles.map((r) => `${r.metadata.namespace} -> Role ${r.metadata.name}`).sort());
});

test('leader election: on when asked for or with replicas > 1, with a Lease Role in the release namespace', () => {
  for (const values of [{ leaderElection: { enabled: true } }, { replicas: 2 }]) {
    const objects = render(values);
    const args = operatorContainer(objects).args;
    assert.ok(args.includes('--leader-elect'), `--leader-elect with ${JSON.stringify(values)}`);
    assert.equal(flag(args, '--lease-namespace'), releaseNamespace);
    assert.deepEqual(['--lease-seconds', '--renew-deadline-seconds', '--retry-seconds'].map((f) => flag(args, f)), ['15', '10', '2']);
    assert.equal(only<Deployment>(objects, 'Deployment').spec.strategy, undefined, 'rolling updates are safe with a leader');
    const leaseRole = (o: Manifest) => o.metadata.name.endsWith('-leader-election');
    const [role, ...more] = ofKind<RbacRole>(objects, 'Role').filter(leaseRole);
    assert.ok(role && more.length === 0, 'one Lease Role');
    assert.equal(role.metadata.namespace, releaseNamespace);
    assert.deepEqual(flatten(role.rules), ['coordination.k8s.io/leases: create,get,update']);
    const [binding] = ofKind<RbacBinding>(objects, 'RoleBinding').filter(leaseRole);
    assert.equal(binding?.metadata.namespace, releaseNamespace);
    assert.equal(binding.roleRef.name, role.metadata.name);
  }
  assert.ok(!operatorContainer(render()).args.includes('--leader-elect'));
});

test('runner pods get no API access: the only ServiceAccount is the operator\'s, and every binding names only it', () => {
  for (const values of [{}, variant]) {
    const objects = render(values);
    const sa = only(objects, 'ServiceAccount');
    const bindings = [...ofKind<RbacBinding>(objects, 'ClusterRoleBinding'), ...ofKind<RbacBinding>(objects, 'RoleBinding')];
    assert.ok(bindings.length > 0);
    for (const b of bindings) {
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: releaseNamespace }], b.metadata.name);
    }
    assert.deepEqual(ofKind(objects, 'Secret'), [], 'the chart carries no credentials');
  }
});

test('the runner image defaults to the operator image and can be set apart', () => {
  const args = operatorContainer(render({ image: { repository: 'registry.example/bulkhead', tag: '1.2.3' }, runnerImage: 'registry.example/runner:9' })).args;
  assert.equal(flag(args, '--runner-image'), 'registry.example/runner:9');
  assert.equal(operatorContainer(render({ image: { repository: 'registry.example/bulkhead', tag: '1.2.3' } })).image, 'registry.example/bulkhead:1.2.3');
});

test('a metrics Service always; the ServiceMonitor and PrometheusRule only when enabled', () => {
  const defaults = render();
  const service = only<Manifest & { spec: { ports: { name: string; port: number; targetPort: string }[] } }>(defaults, 'Service');
  assert.deepEqual(service.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['metrics', 8080, 'http']]);
  assert.deepEqual(ofKind(defaults, 'ServiceMonitor'), []);
  assert.deepEqual(ofKind(defaults, 'PrometheusRule'), []);
  const on = render(variant);
  const monitor = only<Manifest & { spec: { endpoints: { port: string; path: string }[] } }>(on, 'ServiceMonitor');
  assert.deepEqual(monitor.spec.endpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']]);
  assert.equal(only(on, 'PrometheusRule').metadata.namespace, releaseNamespace);
});

test('the chart\'s CRDs are exactly the files in crds/, and helm installs them', () => {
  const sourceDir = join(repo, 'crds');
  const chartDir = join(chart, 'crds');
  const names = readdirSync(sourceDir).sort();
  const fix = 'run `npm run chart:sync-crds` and commit the copies';
  assert.deepEqual(readdirSync(chartDir).sort(), names, fix);
  for (const name of names) {
    assert.equal(readFileSync(join(chartDir, name), 'utf8'), readFileSync(join(sourceDir, name), 'utf8'), `charts/bulkhead/crds/${name}: ${fix}`);
  }
  // What `helm install` applies: the CRDs helm loaded from the chart, as objects.
  const installed = parseAllDocuments(run('helm', ['template', 'bulkhead', chart, '--include-crds']))
    .map((d) => d.toJS() as Manifest | null).filter((m) => m?.kind === 'CustomResourceDefinition');
  const source = names.flatMap((n) => parseAllDocuments(readFileSync(join(sourceDir, n), 'utf8')).map((d) => d.toJS() as unknown));
  assert.deepEqual(installed, source);
});

function renderedRules(values: object = {}): PrometheusRule['spec'] {
  return only<PrometheusRule>(render({ prometheusRule: { enabled: true, ...values } }), 'PrometheusRule').spec;
}

const alertsOf = (spec: PrometheusRule['spec']) => spec.groups.flatMap((g) => g.rules);

test('the alerts pass promtool check rules, and test/chart/alerts.test.yaml shows each firing only on the right series', () => {
  const dir = mkdtempSync(join(work, 'rules-'));
  writeFileSync(join(dir, 'bulkhead-rules.yaml'), stringify(renderedRules()));
  const unitTests = join(repo, 'test', 'chart', 'alerts.test.yaml');
  copyFileSync(unitTests, join(dir, 'alerts.test.yaml'));
  run('promtool', ['check', 'rules', join(dir, 'bulkhead-rules.yaml')]);
  run('promtool', ['test', 'rules', join(dir, 'alerts.test.yaml')]);

  // Every alert is shown both firing and not firing (promtool only tests what the file names).
  const alerts = alertsOf(renderedRules()).map((r) => r.alert).sort();
  const checks = (parse(readFileSync(unitTests, 'utf8')) as AlertUnitTests).tests.flatMap((t) => t.alert_rule_test);
  for (const alert of alerts) {
    const mine = checks.filter((c) => c.alertname === alert);
    assert.ok(mine.some((c) => c.exp_alerts.length > 0), `${alert} is never shown firing in alerts.test.yaml`);
    assert.ok(mine.some((c) => c.exp_alerts.length === 0), `${alert} is never shown not firing in alerts.test.yaml`);
  }
  assert.deepEqual(alerts, [
    'BulkheadBudgetExhausted', 'BulkheadBudgetInaccurate', 'BulkheadImportFailed', 'BulkheadImportPending', 'BulkheadLockWaitersPilingUp',
    'BulkheadLongLockWait', 'BulkheadOperatorDown', 'BulkheadReconcileErrors', 'BulkheadWorkerItemsFailing',
  ]);
});

test('every alert has a summary, a description and a runbook_url to its page in docs/runbooks, under runbookBaseUrl', () => {
  const runbooks = join(repo, 'docs', 'runbooks');
  const base = 'https://github.com/bulkhead-dev/bulkhead/blob/main/docs/runbooks';
  for (const rule of alertsOf(renderedRules())) {
    assert.ok(rule.annotations.summary && rule.annotations.description, `${rule.alert} has a summary and a description`);
    assert.equal(rule.annotations.runbook_url, `${base}/${rule.alert}.md`);
    const page = readFileSync(join(runbooks, `${rule.alert}.md`), 'utf8');
    assert.match(page, new RegExp(`^# ${rule.alert}\\n`), `docs/runbooks/${rule.alert}.md is ${rule.alert}'s runbook`);
    for (const section of ['What it means', 'How to look', 'What to do']) assert.match(page, new RegExp(`^## ${section}`, 'm'), `${rule.alert}: ${section}`);
    assert.match(readFileSync(join(runbooks, 'README.md'), 'utf8'), new RegExp(`\\[${rule.alert}\\]\\(${rule.alert}\\.md\\)`), `docs/runbooks/README.md lists ${rule.alert}`);
  }
  // Where you host the docs, with or without a trailing slash.
  for (const url of ['https://wiki.example/runbooks', 'https://wiki.example/runbooks/']) {
    for (const rule of alertsOf(renderedRules({ runbookBaseUrl: url }))) assert.equal(rule.annotations.runbook_url, `https://wiki.example/runbooks/${rule.alert}.md`);
  }
});

test('BulkheadOperatorDown watches the up series of the job the chart\'s ServiceMonitor makes, or the job named', () => {
  const expr = (values: object) => alertsOf(renderedRules(values)).find((r) => r.alert === 'BulkheadOperatorDown')?.expr;
  const service = only(render(), 'Service').metadata.name;
  assert.equal(expr({}), `absent(up{job="${service}", namespace="${releaseNamespace}"} == 1)`, 'prometheus-operator names the job after the Service');
  assert.equal(expr({ operatorDown: { job: 'bulkhead-operator', for: '5m' } }), `absent(up{job="bulkhead-operator", namespace="${releaseNamespace}"} == 1)`);
  const monitor = only<Manifest & { spec: { endpoints: { honorLabels?: boolean }[] } }>(render(variant), 'ServiceMonitor');
  assert.equal(monitor.spec.endpoints[0]?.honorLabels, true, 'bulkhead_csvimport_phase keeps its CsvImport\'s namespace label');
});

test('every metric an alert reads is one the operator or the runners export, or Prometheus\' own up', () => {
  for (const rule of alertsOf(renderedRules())) {
    assert.ok(metricsIn(rule.expr).length > 0, `${rule.alert} reads no metric: ${rule.expr}`);
    assert.deepEqual(unknownMetrics([rule.expr]).filter((m) => m !== 'up'), [], `${rule.alert}: ${rule.expr}`);
  }
  // The extraction itself: a metric that is not exported is seen, functions, keywords and labels are not.
  assert.deepEqual(metricsIn('sum without (pod) (rate(up{job="x"}[5m])) > 0.5 and bulkhead_queue_rows'), ['up', 'bulkhead_queue_rows']);
  assert.deepEqual(unknownMetrics(['bulkhead_worker_claim_duration_seconds_bucket', 'bulkhead_queue_rows_count', 'up']), ['bulkhead_queue_rows_count', 'up']);
});

test('the Grafana dashboard ConfigMap: off by default; when on, valid JSON whose panels read only exported metrics (test/chart/dashboard.test.ts checks the rest)', () => {
  assert.deepEqual(ofKind(render(), 'ConfigMap'), []);
  const configMap = only<Manifest & { data: Record<string, string>; metadata: { labels: Record<string, string> } }>(
    render({ grafanaDashboard: { enabled: true } }), 'ConfigMap');
  assert.equal(configMap.metadata.labels.grafana_dashboard, '1');
  const dashboard = JSON.parse(configMap.data['bulkhead.json'] ?? '') as { panels: { title: string; targets?: { expr: string }[] }[] };
  assert.deepEqual(dashboard, JSON.parse(readFileSync(join(chart, 'dashboards', 'bulkhead.json'), 'utf8')), 'the ConfigMap carries dashboards/bulkhead.json as it is');
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  assert.ok(exprs.length >= 10, `expected a panel per metric, got ${exprs.length} queries`);
  assert.deepEqual(unknownMetrics(exprs), []);
});
