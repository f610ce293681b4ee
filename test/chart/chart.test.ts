/**
 * The Helm chart in charts/bulkhead, checked with the real helm and promtool (built from Go modules by
 * test/tools/build-tools.sh; a missing tool fails the test with toolPath's message): lint, the rendered
 * objects for default values and for a namespaced, leader-elected, alerting variant, the CRDs against
 * crds/, and the alerts with `promtool check rules` and `promtool test rules` (test/chart/alerts.test.yaml).
 * chart-values.test.ts checks the values schema and the runner pod values; chart-install.test.ts installs and
 * upgrades the chart on a real API server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { metricsIn, unknownMetrics } from './exported-metrics.js';
import { chart, flag, helmRender as render, ofKind, only, operatorContainer, parseManifests, releaseNamespace, repo, run, valuesFile, work, type Deployment, type Manifest } from './chart-render.js';

/** The variant: two namespaces, leader election asked for with one replica, the PrometheusRule on. */
const variant = {
  namespaces: ['etl', 'loadtest'],
  leaderElection: { enabled: true },
  prometheusRule: { enabled: true },
  serviceMonitor: { enabled: true },
};

interface PolicyRule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }
interface RbacRole extends Manifest { rules: PolicyRule[] }
interface RbacBinding extends Manifest {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}
interface PrometheusRule extends Manifest {
  spec: { groups: { name: string; rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[] };
}
interface AlertUnitTests {
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
}

/** The ClusterRoles that grant the operator something: all but the aggregated -view and -edit roles for users. */
function operatorClusterRoles(objects: Manifest[]): RbacRole[] {
  return ofKind<RbacRole>(objects, 'ClusterRole').filter((r) => !/-(view|edit)$/.test(r.metadata.name));
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
    '--runner-metrics-port', '9090', '--runner-pod-defaults-file', '/etc/bulkhead/runner-pod-defaults.yaml',
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
  assert.deepEqual(operatorClusterRoles(objects), [], 'no ClusterRole: no cluster-wide get on Secrets, no Jobs or Deployments everywhere');
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
  const [clusterRole, ...more] = operatorClusterRoles(objects);
  assert.ok(clusterRole && more.length === 0, 'one ClusterRole for the operator');
  assert.deepEqual(flatten(clusterRole.rules), expectedRules);
  const binding = only<RbacBinding>(objects, 'ClusterRoleBinding');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: only(objects, 'ServiceAccount').metadata.name, namespace: releaseNamespace }]);
  assert.deepEqual(ofKind(objects, 'Role'), []);
  assert.throws(() => render({ clusterWide: true, namespaces: ['etl'] }), /clusterWide: true watches every namespace; leave namespaces empty/);
});

test('runner pull policy, extra env, extra args and hostNetwork pass through to the operator pod', () => {
  const objects = render({ runner: { imagePullPolicy: 'Never' }, hostNetwork: true, extraEnv: [{ name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' }], extraArgs: ['--resync-seconds', '60'] });
  const c = operatorContainer(objects);
  assert.equal(flag(c.args, '--image-pull-policy'), 'Never');
  assert.deepEqual(c.args.slice(-2), ['--resync-seconds', '60'], 'extraArgs come last');
  assert.deepEqual(c.env.at(-1), { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' });
  const pod = only<Deployment>(objects, 'Deployment').spec.template.spec;
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
});

test('a namespaces list: --namespaces a,b, and a Role and RoleBinding in each namespace instead of any ClusterRole', () => {
  const objects = render({ namespaces: variant.namespaces });
  assert.equal(flag(operatorContainer(objects).args, '--namespaces'), 'etl,loadtest');
  assert.deepEqual(operatorClusterRoles(objects), []);
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
  const args = operatorContainer(render({ image: { repository: 'registry.example/bulkhead', tag: '1.2.3' }, runner: { image: 'registry.example/runner:9' } })).args;
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

test('the chart renders exactly the CRDs in crds/, kept on uninstall, unless crds.install is false', () => {
  // files/crds/ is a copy of crds/ and the runner fields of values.schema.json are spec.runner's: the sync script says so.
  const check = execFileSync(process.execPath, [join(repo, 'scripts', 'sync-chart-crds.mjs'), '--check'], { encoding: 'utf8' });
  assert.match(check, /in step with crds\//);
  const sourceDir = join(repo, 'crds');
  const names = readdirSync(sourceDir).filter((n) => n.endsWith('.yaml')).sort();
  assert.deepEqual(readdirSync(join(chart, 'files', 'crds')).sort(), names);
  // What `helm install` and `helm upgrade` apply: the CRDs as templates, each with the chart's labels and the keep policy.
  const rendered = ofKind<Manifest & { metadata: { annotations: Record<string, string>; labels: Record<string, string> } }>(render(), 'CustomResourceDefinition');
  const source = names.flatMap((n) => parseManifests(readFileSync(join(sourceDir, n), 'utf8')));
  assert.equal(rendered.length, source.length);
  for (const crd of rendered) {
    assert.deepEqual(crd.metadata.annotations, { 'helm.sh/resource-policy': 'keep' }, crd.metadata.name);
    assert.equal(crd.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
    const metadata: Partial<typeof crd.metadata> = { ...crd.metadata };
    delete metadata.annotations;
    delete metadata.labels;
    assert.deepEqual({ ...crd, metadata }, source.find((s) => s.metadata.name === crd.metadata.name), crd.metadata.name);
  }
  assert.deepEqual(ofKind(render({ crds: { install: false } }), 'CustomResourceDefinition'), []);
  assert.equal(readdirSync(chart).includes('crds'), false, 'no crds/ folder, which helm would install besides the templates and never upgrade');
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
  const dashboards = (objects: Manifest[]) => ofKind<Manifest & { data: Record<string, string>; metadata: { labels: Record<string, string> } }>(objects, 'ConfigMap')
    .filter((c) => c.metadata.name.endsWith('-dashboard'));
  assert.deepEqual(dashboards(render()), []);
  const [configMap] = dashboards(render({ grafanaDashboard: { enabled: true } }));
  assert.ok(configMap);
  assert.equal(configMap.metadata.labels.grafana_dashboard, '1');
  const dashboard = JSON.parse(configMap.data['bulkhead.json'] ?? '') as { panels: { title: string; targets?: { expr: string }[] }[] };
  assert.deepEqual(dashboard, JSON.parse(readFileSync(join(chart, 'dashboards', 'bulkhead.json'), 'utf8')), 'the ConfigMap carries dashboards/bulkhead.json as it is');
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  assert.ok(exprs.length >= 10, `expected a panel per metric, got ${exprs.length} queries`);
  assert.deepEqual(unknownMetrics(exprs), []);
});
