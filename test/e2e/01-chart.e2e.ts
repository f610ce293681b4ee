/**
 * A user's first step: `helm install` of charts/bulkhead (CRDs, RBAC, the operator) with the image built from the
 * Dockerfile. The operator runs in the cluster as a pod under its ServiceAccount. This node has no Service network
 * (no kube-proxy), so the operator pod uses the node's network and reaches the API server on loopback.
 * The operator watches the scenario files' namespaces (SCENARIO_NAMESPACES), with a Role in each; the scenario files
 * after this one use the operator installed here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/kubectl.js';
import { API_SERVER, IMAGE, k, kubectlOk, manifest, pods, RELEASE, SCENARIO_NAMESPACES, type Pod } from './e2e-env.js';

const RELEASE_NAMESPACE = RELEASE.namespace;
const [repository, tag] = IMAGE.split(/:(?=[^:]+$)/) as [string, string];
const apiPort = new URL(API_SERVER).port;

test('helm install brings up the CRDs, the RBAC of the scenario namespaces and a Ready operator pod running the image under its ServiceAccount', async () => {
  // The chart puts a Role in each watched namespace, so they must exist first (each scenario makes its own anew).
  for (const ns of SCENARIO_NAMESPACES) if (!(await k.getJson('namespace', ns))) await k.createNamespace(ns);
  const out = execFileSync(toolPath('helm'), [
    'upgrade', '--install', RELEASE.name, RELEASE.chart, '--namespace', RELEASE_NAMESPACE, '--create-namespace', '--wait', '--timeout', '180s',
    '--kubeconfig', process.env.KUBECONFIG!,
    '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`, '--set', 'image.pullPolicy=Never',
    '--set', `namespaces={${SCENARIO_NAMESPACES.join(',')}}`,
    '--set', 'hostNetwork=true', '--set', 'port=18080', '--set', 'observeIntervalSeconds=2',
    '--set', 'extraEnv[0].name=KUBERNETES_SERVICE_HOST', '--set', 'extraEnv[0].value=127.0.0.1',
    '--set', 'extraEnv[1].name=KUBERNETES_SERVICE_PORT', '--set-string', `extraEnv[1].value=${apiPort}`,
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(out, /STATUS: deployed/);

  const crds = await kubectlOk(['get', 'crd', '-o', 'name']);
  assert.match(crds, /csvimports\.bulkhead\.dev/);
  assert.match(crds, /stressruns\.bulkhead\.dev/);
  const [operator] = await waitFor(async () => {
    const list = await pods(RELEASE_NAMESPACE, 'app.kubernetes.io/name=bulkhead');
    return { done: list.length === 1 && list[0]!.status.containerStatuses?.[0]?.ready === true, value: list };
  }, { what: 'the operator pod to be Ready', timeoutMs: 120_000 }) as [Pod];
  assert.equal(operator.spec.containers[0]?.image, IMAGE);
  const full = await k.getJson<{ spec: { serviceAccountName: string; securityContext: { runAsNonRoot: boolean } } }>('pod', operator.metadata.name, RELEASE_NAMESPACE);
  assert.equal(full?.spec.serviceAccountName, 'bulkhead');
  assert.equal(full?.spec.securityContext.runAsNonRoot, true);

  // What it reports about itself, from the outside: it acts under its ServiceAccount, only in the namespaces it
  // watches, and its log says it is up.
  const canI = async (...what: string[]) => (await k.kubectl(['auth', 'can-i', ...what, '--as', `system:serviceaccount:${RELEASE_NAMESPACE}:bulkhead`])).stdout.trim();
  assert.equal(await canI('create', 'jobs', '-n', SCENARIO_NAMESPACES[0]!), 'yes');
  assert.equal(await canI('get', 'secrets', '-n', SCENARIO_NAMESPACES[0]!), 'yes');
  assert.equal(await canI('create', 'jobs', '-n', 'default'), 'no', 'no Jobs outside the watched namespaces');
  assert.equal(await canI('get', 'secrets', '-n', 'default'), 'no', 'no Secrets outside the watched namespaces');
  assert.equal(await canI('delete', 'nodes'), 'no');
  const logs = await kubectlOk(['-n', RELEASE_NAMESPACE, 'logs', operator.metadata.name]);
  assert.match(logs, /caches synced/);
  const ready = await fetch('http://127.0.0.1:18080/readyz');
  assert.equal(ready.status, 200, 'the operator answers /readyz on the node network');
});

test('the image under the restricted standard: tini is PID 1, and bulkhead local, left out of the image, says so', async () => {
  const ns = 'e2e-image';
  await k.createNamespace(ns);
  await kubectlOk(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
  try {
    const pod = (name: string, args: string[]) => manifest({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns },
      spec: {
        restartPolicy: 'Never', automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'main', image: IMAGE, imagePullPolicy: 'Never', args,
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        }],
      },
    });
    await kubectlOk(['apply', '-f', '-'], pod('local', ['local']));
    await kubectlOk(['apply', '-f', '-'], pod('help', ['--help']));
    const ended = async (name: string) => waitFor(async () => {
      const p = await k.getJson<Pod>('pod', name, ns);
      const terminated = p?.status.containerStatuses?.[0]?.state?.terminated;
      return { done: terminated !== undefined, value: terminated as { exitCode: number } };
    }, { what: `pod ${name} to end`, timeoutMs: 120_000 });
    assert.equal((await ended('help')).exitCode, 0);
    assert.match(await kubectlOk(['-n', ns, 'logs', 'help']), /Usage: bulkhead/);
    assert.equal((await ended('local')).exitCode, 1);
    assert.match(await kubectlOk(['-n', ns, 'logs', 'local']), /bulkhead local needs the optional dependencies/);
  } finally {
    await k.kubectl(['delete', 'namespace', ns, '--wait=false']);
  }
});
