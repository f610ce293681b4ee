/**
 * Issue 12, items 3 and 4, with the real helm: values.schema.json refuses typos and wrong types (helm lint --strict
 * and helm template); the runner values become the operator's --runner-pod-defaults-file, which the operator's own
 * check accepts; the PodMonitor, the aggregated user roles, the NetworkPolicy, the PodDisruptionBudget, names and the
 * ServiceAccount.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunnerPodDefaults } from '../../operator/pods/runner-pod-options.js';
import { chart, flag, helmRender as render, named, ofKind, only, operatorContainer, releaseNamespace, run, valuesFile, work, type Deployment, type Manifest } from './chart-render.js';

interface ConfigMap extends Manifest { data: Record<string, string> }
interface PodMonitor extends Manifest {
  spec: {
    namespaceSelector: { any?: boolean; matchNames?: string[] };
    selector: { matchLabels: Record<string, string> };
    podMetricsEndpoints: { port: string; path: string; relabelings: { sourceLabels: string[]; regex: string; replacement: string; targetLabel: string }[] }[];
  };
}
interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }
interface Peer { ipBlock?: { cidr: string }; namespaceSelector?: object; podSelector?: object }
interface NetworkPolicy extends Manifest {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress: { ports: { port: number }[]; from?: Peer[] }[];
    egress: { ports: { port: number; protocol: string }[]; to?: Peer[] }[];
  };
}

/** helm's error for values it refuses, or a failure when it takes them. */
function refusal(values: object, set: string[] = []): string {
  let message = '';
  assert.throws(() => render(values, set), (err: Error) => {
    message = err.message;
    return true;
  }, `helm template should refuse ${JSON.stringify(values)} ${set.join(' ')}`);
  return message;
}

test('values.schema.json: helm lint --strict and helm template refuse a typo, a wrong type and a bad value, naming it', () => {
  const bad: [object, string[], RegExp][] = [
    [{}, ['--set', 'replicas=two'], /replicas.*(integer|got string)/s],
    [{ image: { tagg: '1.0' } }, [], /image.*tagg/s],
    [{ replica: 2 }, [], /replica/],
    [{ runner: { resources: { limits: { memroy: '1Gi' } } } }, [], /memroy/],
    [{ runner: { resources: { requests: { cpu: 'lots' } } } }, [], /runner.*resources.*requests.*cpu/s],
    [{ runner: { tolerations: { key: 'a' } } }, [], /runner.*tolerations.*array/s],
    [{ runner: { metricsPort: 70000 } }, [], /metricsPort/],
    [{ image: { pullPolicy: 'Sometimes' } }, [], /pullPolicy/],
    [{ networkPolicy: { enabeld: true } }, [], /enabeld/],
    [{ serviceMonitor: { interval: 'often' } }, [], /interval/],
  ];
  for (const [values, set, message] of bad) {
    assert.match(refusal(values, set), message, JSON.stringify(values) + set.join(' '));
    const file = valuesFile('lint-bad', values);
    assert.throws(() => run('helm', ['lint', '--strict', chart, '--namespace', releaseNamespace, '--values', file, ...set]), message, `helm lint --strict: ${JSON.stringify(values)}`);
  }
  // What the schema must let through: every documented key at its default, --set numbers where text fits too.
  run('helm', ['lint', '--strict', chart, '--namespace', releaseNamespace]);
  render({}, ['--set', 'image.tag=2', '--set', 'headroom=5', '--set', 'runner.resources.limits.cpu=2', '--set', 'global.imageRegistry=x']);
});

test('the runner values reach the operator as --runner-pod-defaults-file, which its own start-up check accepts', () => {
  const runner = {
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: 2, memory: '2Gi' } },
    nodeSelector: { pool: 'batch' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoExecute', tolerationSeconds: 60 }],
    affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] } },
    priorityClassName: 'batch-low',
    imagePullSecrets: [{ name: 'registry' }],
    labels: { team: 'data' },
    annotations: { 'sidecar.istio.io/inject': 'false' },
  };
  for (const values of [{}, { runner }]) {
    const objects = render(values);
    const configMap = named<ConfigMap>(objects, 'ConfigMap', 'bulkhead-runner-pod-defaults');
    const deployment = only<Deployment>(objects, 'Deployment');
    const container = operatorContainer(objects);
    const path = flag(container.args, '--runner-pod-defaults-file') ?? '';
    const [dir, file] = [path.slice(0, path.lastIndexOf('/')), path.slice(path.lastIndexOf('/') + 1)];
    const mount = container.volumeMounts.find((m) => m.mountPath === dir);
    assert.equal(mount?.readOnly, true, `${dir} is mounted`);
    assert.equal(deployment.spec.template.spec.volumes.find((v) => v.name === mount?.name)?.configMap?.name, configMap.metadata.name);
    const text = configMap.data[file];
    assert.ok(text !== undefined, `the ConfigMap has ${file}`);
    const local = join(work, 'runner-pod-defaults.yaml');
    writeFileSync(local, text);
    // The operator reads it as it will in the pod: the defaults, or the runner values as given.
    const defaults = { resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } }, nodeSelector: {}, tolerations: [], affinity: {}, priorityClassName: '', imagePullSecrets: [], labels: {}, annotations: {} };
    assert.deepEqual(readRunnerPodDefaults(local), 'runner' in values ? runner : defaults);
  }
  const checksum = (values: object) => only<Deployment>(render(values), 'Deployment').spec.template.metadata.annotations?.['checksum/runner-pod-defaults'];
  assert.notEqual(checksum({ runner: { nodeSelector: { pool: 'a' } } }), checksum({}), 'a change of the runner values restarts the operator');
  assert.equal(flag(operatorContainer(render({ runner: { metricsPort: 0 } })).args, '--runner-metrics-port'), undefined, 'metricsPort 0: the runners serve none');
});

test('a PodMonitor for the runner pods only when asked for, in the watched namespaces, on the port named metrics', () => {
  assert.deepEqual(ofKind(render(), 'PodMonitor'), []);
  const monitor = only<PodMonitor>(render({ namespaces: ['etl', 'loadtest'], podMonitor: { enabled: true, labels: { release: 'kps' } } }), 'PodMonitor');
  assert.equal(monitor.metadata.namespace, releaseNamespace);
  assert.equal(monitor.metadata.labels?.release, 'kps');
  assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: ['etl', 'loadtest'] });
  assert.deepEqual(monitor.spec.selector.matchLabels, { 'app.kubernetes.io/managed-by': 'bulkhead' }, 'the label every runner pod carries (test/unit/runner-pod.test.ts)');
  const [endpoint] = monitor.spec.podMetricsEndpoints;
  assert.deepEqual([endpoint?.port, endpoint?.path], ['metrics', '/metrics']);
  assert.deepEqual(endpoint?.relabelings.map((r) => r.targetLabel), ['stressrun', 'csvimport']);
  assert.deepEqual(endpoint?.relabelings[0]?.sourceLabels, ['__meta_kubernetes_namespace', '__meta_kubernetes_pod_label_bulkhead_dev_stressrun']);
  assert.deepEqual(only<PodMonitor>(render({ podMonitor: { enabled: true } }), 'PodMonitor').spec.namespaceSelector, { matchNames: [releaseNamespace] });
  assert.deepEqual(only<PodMonitor>(render({ clusterWide: true, podMonitor: { enabled: true } }), 'PodMonitor').spec.namespaceSelector, { any: true });
  assert.match(refusal({ podMonitor: { enabled: true }, runner: { metricsPort: 0 } }), /podMonitor.enabled needs runner.metricsPort/);
});

test('aggregated -view and -edit ClusterRoles give the built-in view, edit and admin roles the CRs, and the operator nothing', () => {
  const objects = render();
  const view = named<Manifest & { rules: Rule[] }>(objects, 'ClusterRole', 'bulkhead-view');
  const edit = named<Manifest & { rules: Rule[] }>(objects, 'ClusterRole', 'bulkhead-edit');
  const aggregatesTo = (role: Manifest) => Object.keys(role.metadata.labels ?? {}).filter((l) => l.startsWith('rbac.authorization.k8s.io/aggregate-to-')).map((l) => l.split('-').at(-1)).sort();
  assert.deepEqual(aggregatesTo(view), ['admin', 'edit', 'view']);
  assert.deepEqual(aggregatesTo(edit), ['admin', 'edit']);
  for (const rule of [...view.rules, ...edit.rules]) assert.deepEqual(rule.apiGroups, ['bulkhead.dev']);
  assert.deepEqual(view.rules.flatMap((r) => r.verbs).sort(), ['get', 'list', 'watch']);
  assert.ok(edit.rules.some((r) => r.resources.includes('csvimports') && r.verbs.includes('create')));
  assert.ok(edit.rules.some((r) => r.resources.includes('stressruns/scale') && r.verbs.includes('update')));
  assert.deepEqual(ofKind(objects, 'ClusterRoleBinding'), [], 'bound by the built-in roles\' aggregation, never to the operator');
  assert.deepEqual(ofKind(render({ aggregatedRoles: { enabled: false } }), 'ClusterRole'), []);
});

test('a NetworkPolicy only when asked for: ingress to the operator\'s port, egress to the API server, the databases and DNS', () => {
  assert.deepEqual(ofKind(render(), 'NetworkPolicy'), []);
  const apiServer = [{ ipBlock: { cidr: '10.0.0.10/32' } }];
  const database = [{ ipBlock: { cidr: '10.20.0.0/24' } }];
  const policy = only<NetworkPolicy>(render({ networkPolicy: { enabled: true, apiServer: { to: apiServer }, database: { to: database } } }), 'NetworkPolicy');
  assert.deepEqual(policy.spec.podSelector.matchLabels, only<Deployment>(render(), 'Deployment').spec.template.metadata.labels);
  assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(policy.spec.ingress, [{ ports: [{ port: 8080, protocol: 'TCP' }] }]);
  assert.deepEqual(policy.spec.egress.map((e) => [e.to, e.ports.map((p) => `${p.port}/${p.protocol}`)]), [
    [apiServer, ['443/TCP', '6443/TCP']],
    [database, ['5432/TCP']],
    [[{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ['53/UDP', '53/TCP']],
  ]);
  const open = only<NetworkPolicy>(render({ networkPolicy: { enabled: true, dns: false } }), 'NetworkPolicy');
  assert.deepEqual(open.spec.egress.map((e) => e.to), [undefined, undefined], 'no peers: these ports to any address, and no DNS rule');
});

test('a PodDisruptionBudget only with more than one replica', () => {
  assert.deepEqual(ofKind(render(), 'PodDisruptionBudget'), []);
  const pdb = only<Manifest & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } }>(render({ replicas: 2 }), 'PodDisruptionBudget');
  assert.equal(pdb.spec.maxUnavailable, 1);
  assert.deepEqual(pdb.spec.selector.matchLabels, only<Deployment>(render({ replicas: 2 }), 'Deployment').spec.template.metadata.labels);
});

test('nameOverride and fullnameOverride name the objects; serviceAccount.create false uses the named one', () => {
  const renamed = render({ nameOverride: 'loader' });
  assert.equal(only<Deployment>(renamed, 'Deployment').metadata.name, 'bulkhead-loader');
  assert.equal(only<Deployment>(renamed, 'Deployment').spec.template.metadata.labels['app.kubernetes.io/name'], 'loader');
  const full = render({ fullnameOverride: 'etl-operator' });
  assert.ok(full.filter((o) => o.kind !== 'CustomResourceDefinition').every((o) => o.metadata.name.startsWith('etl-operator')), 'every object under the full name');

  const existing = render({ serviceAccount: { create: false, name: 'platform-operator' } });
  assert.deepEqual(ofKind(existing, 'ServiceAccount'), []);
  assert.equal(only<Deployment>(existing, 'Deployment').spec.template.spec.serviceAccountName, 'platform-operator');
  for (const binding of ofKind<Manifest & { subjects: { name: string }[] }>(existing, 'RoleBinding')) assert.deepEqual(binding.subjects.map((s) => s.name), ['platform-operator']);
  assert.equal(only(render({ serviceAccount: { name: 'mine' } }), 'ServiceAccount').metadata.name, 'mine');
  assert.match(refusal({ serviceAccount: { create: false } }), /serviceAccount.create: false needs serviceAccount.name/);
});
