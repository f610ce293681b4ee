/**
 * Issue 12, items 4 and 5, against a real API server (the operator tests' control plane, without its CRDs): `helm
 * upgrade` updates the CRDs, so a field a new chart adds is served afterwards and CRs made before it stay; the
 * aggregated roles let the built-in edit role create CsvImports; `helm uninstall` keeps the CRDs and CRs; and a
 * release of the chart that shipped its CRDs in crds/ (0.1.0) is upgraded after the kubectl label and annotate
 * that docs/upgrade.md gives. No operator runs: the release's Deployment just waits for a scheduler.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from '../harness/control-plane.js';
import { kubectlFor, waitFor, type Kubectl } from '../harness/kubectl.js';
import { chart, releaseNamespace, run, work } from './chart-render.js';

// helm keeps its cache and settings here, not in the caller's home.
for (const v of ['HELM_CACHE_HOME', 'HELM_CONFIG_HOME', 'HELM_DATA_HOME']) process.env[v] = join(work, v.toLowerCase());

const CRDS = ['csvimports.bulkhead.dev', 'stressruns.bulkhead.dev'];
const NS = 'team';
let cp: ControlPlane;
let k: Kubectl;
let passed = true;

before(async () => {
  cp = await startControlPlane({ installCrds: false, controllers: [...DEFAULT_CONTROLLERS, 'clusterrole-aggregation-controller'] });
  k = kubectlFor(cp.kubeconfig);
  await k.createNamespace(NS);
});
afterEach((t) => {
  // TestContext.passed exists on Node 20.12+, though @types/node 20 does not declare it yet.
  if ((t as { passed?: boolean }).passed === false) passed = false;
});
after(async () => cp?.stop({ keepFiles: !passed }));

function helm(args: string[]): string {
  return run('helm', [...args, '--kubeconfig', cp.kubeconfig]);
}

/** A copy of the chart whose CRDs lack spec.runner: the chart before the release that added it. */
function chartWithoutRunner(name: string): string {
  const dir = join(work, name);
  cpSync(chart, dir, { recursive: true });
  const crds = join(dir, 'files', 'crds');
  for (const file of readdirSync(crds)) {
    const crd = parse(readFileSync(join(crds, file), 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] } };
    delete crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.runner;
    writeFileSync(join(crds, file), stringify(crd));
  }
  return dir;
}

async function kubectlOk(args: string[], stdin?: string): Promise<string> {
  const result = await k.kubectl(args, stdin === undefined ? {} : { stdin });
  assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function runnerServed(): Promise<boolean> {
  const crd = await k.getJson<{ spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] } }>('crd', CRDS[0]!);
  return crd?.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.runner !== undefined;
}

const csvImport = (name: string, spec: object = {}) => stringify({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: { name, namespace: NS },
  spec: { database: { secretRef: { name: 'pg' } }, source: { url: 'https://example.invalid/a.csv' }, target: { table: 't', key: ['id'] }, ...spec },
});

test('helm upgrade updates the CRDs: a field the new chart adds is served afterwards, and CRs made before it stay', async () => {
  helm(['install', 'bulkhead', chartWithoutRunner('old-chart'), '--namespace', releaseNamespace, '--create-namespace']);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...CRDS.map((c) => `crd/${c}`)]);
  assert.equal(await runnerServed(), false);
  await kubectlOk(['apply', '-f', '-'], csvImport('before-upgrade'));
  const early = await k.kubectl(['apply', '-f', '-'], { stdin: csvImport('too-early', { runner: { resources: { limits: { memory: '1Gi' } } } }) });
  assert.notEqual(early.code, 0, 'the old CRD does not know spec.runner');
  assert.match(early.stderr, /unknown field "spec\.runner"/);

  helm(['upgrade', 'bulkhead', chart, '--namespace', releaseNamespace]);
  assert.equal(await runnerServed(), true, 'the upgrade replaced the CRD');
  const explained = await waitFor(async () => {
    const r = await k.kubectl(['explain', 'csvimports.spec.runner.resources']);
    return { done: r.code === 0, value: r.stdout || r.stderr };
  }, { what: 'kubectl explain to know spec.runner' });
  assert.match(explained, /requests and limits/);
  await kubectlOk(['apply', '-f', '-'], csvImport('after-upgrade', { runner: { resources: { limits: { cpu: 2, memory: '1Gi' } }, nodeSelector: { pool: 'batch' } } }));
  const refused = await k.kubectl(['apply', '-f', '-'], { stdin: csvImport('bad-quantity', { runner: { resources: { limits: { memory: 'lots' } } } }) });
  assert.match(refused.stderr, /spec\.runner\.resources\.limits\.memory/);
  const apparmor = await k.kubectl(['apply', '-f', '-'], { stdin: csvImport('unconfined', { runner: { annotations: { 'container.apparmor.security.beta.kubernetes.io/import': 'unconfined' } } }) });
  assert.match(apparmor.stderr, /AppArmor and seccomp annotations are the operator's/);
  assert.ok(await k.getJson('csvimport', 'before-upgrade', NS), 'the CR made before the upgrade is still there');
  const crd = await k.getJson<{ metadata: { annotations: Record<string, string> } }>('crd', CRDS[0]!);
  assert.equal(crd?.metadata.annotations['helm.sh/resource-policy'], 'keep');
});

test('the aggregated roles: the built-in edit role may create CsvImports and scale StressRuns, view may only read them', async () => {
  await kubectlOk(['create', 'rolebinding', 'jane-edit', '--clusterrole=edit', '--user=jane', '-n', NS]);
  await kubectlOk(['create', 'rolebinding', 'vic-view', '--clusterrole=view', '--user=vic', '-n', NS]);
  const can = async (user: string, ...what: string[]) => (await k.kubectl(['auth', 'can-i', ...what, '--as', user])).stdout.trim();
  // kube-controller-manager folds the chart's ClusterRoles into edit and view a moment after the install.
  await waitFor(async () => {
    const answer = await can('jane', 'create', 'csvimports.bulkhead.dev', '-n', NS);
    return { done: answer === 'yes', value: answer };
  }, { what: 'the edit role to take in bulkhead-edit' });
  assert.equal(await can('jane', 'update', 'stressruns.bulkhead.dev', '--subresource=scale', '-n', NS), 'yes');
  assert.equal(await can('jane', 'create', 'csvimports.bulkhead.dev', '-n', 'default'), 'no', 'only where jane may edit');
  await waitFor(async () => {
    const answer = await can('vic', 'list', 'csvimports.bulkhead.dev', '-n', NS);
    return { done: answer === 'yes', value: answer };
  }, { what: 'the view role to take in bulkhead-view' });
  assert.equal(await can('vic', 'create', 'csvimports.bulkhead.dev', '-n', NS), 'no');
  assert.equal(await can('vic', 'get', 'secrets', '-n', NS), 'no', 'nothing more than the CRs');
});

test('helm uninstall leaves the CRDs and the CRs in place (helm.sh/resource-policy: keep), and a reinstall takes them back', async () => {
  helm(['uninstall', 'bulkhead', '--namespace', releaseNamespace]);
  assert.equal(await k.getJson('deployment', 'bulkhead', releaseNamespace), undefined, 'the release is gone');
  for (const crd of CRDS) assert.ok(await k.getJson('crd', crd), `${crd} kept`);
  assert.ok(await k.getJson('csvimport', 'after-upgrade', NS), 'the CRs with them');
  // Installed again under the same name, the release takes the kept CRDs back (they still name it).
  helm(['install', 'bulkhead', chart, '--namespace', releaseNamespace]);
  helm(['uninstall', 'bulkhead', '--namespace', releaseNamespace]);
  for (const crd of CRDS) assert.ok(await k.getJson('crd', crd), `${crd} kept again`);
});

test('a release whose CRDs came from the chart\'s crds/ folder (0.1.0) upgrades once they are labelled and annotated as the release\'s', async () => {
  await kubectlOk(['delete', 'crd', ...CRDS, '--wait=true']);
  // The 0.1.0 layout: the CRDs in crds/, which helm installs once and never upgrades, and no CRD templates.
  const old = chartWithoutRunner('chart-0.1.0');
  rmSync(join(old, 'templates', 'crds.yaml'));
  renameSync(join(old, 'files', 'crds'), join(old, 'crds'));
  helm(['install', 'bulkhead', old, '--namespace', releaseNamespace]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...CRDS.map((c) => `crd/${c}`)]);
  assert.equal(await runnerServed(), false);

  assert.throws(() => run('helm', ['upgrade', 'bulkhead', chart, '--namespace', releaseNamespace, '--kubeconfig', cp.kubeconfig]),
    /CustomResourceDefinition "csvimports\.bulkhead\.dev" in namespace "" exists and cannot be imported into the current release/);
  // docs/upgrade.md, "From 0.1.0".
  await kubectlOk(['label', 'crd', ...CRDS, 'app.kubernetes.io/managed-by=Helm', '--overwrite']);
  await kubectlOk(['annotate', 'crd', ...CRDS, 'meta.helm.sh/release-name=bulkhead', `meta.helm.sh/release-namespace=${releaseNamespace}`, '--overwrite']);
  helm(['upgrade', 'bulkhead', chart, '--namespace', releaseNamespace]);
  assert.equal(await runnerServed(), true);
});
