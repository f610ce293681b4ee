/**
 * The operator tests' harness, checked on its own: a real kube-apiserver, etcd and kube-controller-manager, the
 * fake kubelet running pods as local processes, and kubectl as a user drives it. No operator runs here.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, afterEach, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.js';
import { startFakeKubelet, type FakeKubelet } from '../harness/fake-kubelet.js';
import { kubectlFor, waitFor, type Kubectl } from '../harness/kubectl.js';

const NS = 'smoke';
const EXAMPLE_IMPORT = fileURLToPath(new URL('../../../examples/advertisers-import.yaml', import.meta.url));

interface Condition { type: string; status: string }
interface PodJson {
  metadata: { name: string };
  status: {
    phase?: string;
    containerStatuses?: { restartCount: number; state: { waiting?: { reason: string; message: string }; terminated?: { exitCode: number; reason: string; message: string } } }[];
  };
}

let cp: ControlPlane;
let kubelet: FakeKubelet;
let k: Kubectl;
let allPassed = true;

before(async () => {
  const started = Date.now();
  cp = await startControlPlane();
  kubelet = await startFakeKubelet(cp.kubeconfig);
  k = kubectlFor(cp.kubeconfig);
  await k.createNamespace(NS);
  process.stderr.write(`control plane, CRDs and fake kubelet ready in ${Date.now() - started} ms\n`);
});

afterEach((t) => {
  // TestContext.passed exists on Node 20.12+, though @types/node 20 does not declare it yet.
  if ((t as { passed?: boolean }).passed === false) allPassed = false;
});

after(async () => {
  await kubelet?.stop();
  await cp?.stop({ keepFiles: !allPassed });
});

function job(name: string, script: string, env: object[] = [], command = ['node', '-e', script]): string {
  return stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'bulkhead:test', command, env }] } },
    },
  });
}

async function jobCondition(name: string, type: string): Promise<void> {
  await waitFor(async () => {
    const got = await k.getJson<{ status?: { conditions?: Condition[] } }>('job', name, NS);
    const conditions = got?.status?.conditions ?? [];
    return { done: conditions.some((c) => c.type === type && c.status === 'True'), value: got?.status };
  }, { what: `job/${name} to be ${type}` });
}

function barePod(name: string, restartPolicy: string, container: object): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { restartPolicy, containers: [{ name: 'main', image: 'bulkhead:test', ...container }] },
  });
}

async function podStatusWhen(name: string, what: string, done: (status: PodJson['status'] | undefined) => boolean): Promise<PodJson['status'] | undefined> {
  return waitFor(async () => {
    const pod = await k.getJson<PodJson>('pod', name, NS);
    return { done: done(pod?.status), value: pod?.status };
  }, { what: `pod ${name} ${what}` });
}

async function podsOf(selector: string): Promise<PodJson[]> {
  const result = await k.kubectl(['get', 'pods', '-n', NS, '-l', selector, '-o', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { items: PodJson[] }).items;
}

test('a Job whose pod prints a value from a Secret completes, with that last line as the termination message', async () => {
  await k.applyYaml(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'greeting', namespace: NS }, stringData: { text: 'hello from a secret' } }));
  await k.applyYaml(job('hello', 'console.log("pod " + process.env.POD_NAME); console.log(process.env.GREETING)', [
    { name: 'GREETING', valueFrom: { secretKeyRef: { name: 'greeting', key: 'text' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ]));
  await jobCondition('hello', 'Complete');
  const [pod] = await podsOf('job-name=hello');
  assert.ok(pod, 'the Job has a pod');
  assert.equal(pod.status.phase, 'Succeeded');
  const terminated = pod.status.containerStatuses?.[0]?.state.terminated;
  assert.deepEqual({ exitCode: terminated?.exitCode, reason: terminated?.reason, message: terminated?.message }, { exitCode: 0, reason: 'Completed', message: 'hello from a secret' });
  assert.match(kubelet.logs(NS, pod.metadata.name), new RegExp(`^pod ${pod.metadata.name}$`, 'm'));
});

test('a Job whose pod exits 3 fails with backoffLimit 0, and the pod shows exit code 3', async () => {
  await k.applyYaml(job('fails', 'process.exit(3)'));
  await jobCondition('fails', 'Failed');
  const [pod] = await podsOf('job-name=fails');
  assert.equal(pod?.status.phase, 'Failed');
  const terminated = pod?.status.containerStatuses?.[0]?.state.terminated;
  assert.deepEqual({ exitCode: terminated?.exitCode, reason: terminated?.reason }, { exitCode: 3, reason: 'Error' });
});

test('a container whose command is `bulkhead …` runs the built CLI', async () => {
  await k.applyYaml(job('cli', '', [], ['bulkhead', '--help']));
  await jobCondition('cli', 'Complete');
  const [pod] = await podsOf('job-name=cli');
  assert.match(kubelet.logs(NS, pod?.metadata.name ?? ''), /^Usage: bulkhead /m);
});

test('a pod whose Secret is missing waits with CreateContainerConfigError, and runs once the Secret exists', async () => {
  await k.applyYaml(barePod('needs-secret', 'Never', { command: ['sh', '-c', 'echo "$TOKEN_LENGTH"'], envFrom: [{ secretRef: { name: 'later' } }] }));
  const waiting = await podStatusWhen('needs-secret', 'to wait for its Secret',
    (status) => status?.containerStatuses?.[0]?.state.waiting?.reason === 'CreateContainerConfigError');
  assert.equal(waiting?.containerStatuses?.[0]?.state.waiting?.message, 'secret "later" not found');
  await k.applyYaml(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'later', namespace: NS }, stringData: { TOKEN_LENGTH: '42' } }));
  const done = await podStatusWhen('needs-secret', 'to succeed once its Secret exists', (status) => status?.phase === 'Succeeded');
  assert.equal(done?.containerStatuses?.[0]?.state.terminated?.message, '42');
});

test('a pod with restartPolicy OnFailure is restarted in place after a failure, and then succeeds', async () => {
  // Fails on its first run, succeeds on the second: the marker file is named after the pod's uid.
  const script = 'const fs = require("fs"); const f = require("os").tmpdir() + "/bulkhead-restart-" + process.env.UID;'
    + ' if (fs.existsSync(f)) { fs.rmSync(f); console.log("second run"); } else { fs.writeFileSync(f, ""); process.exit(1); }';
  await k.applyYaml(barePod('retries', 'OnFailure', { command: ['node', '-e', script], env: [{ name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }] }));
  const status = await podStatusWhen('retries', 'to succeed on its second run', (s) => s?.phase === 'Succeeded');
  const container = status?.containerStatuses?.[0];
  assert.deepEqual({ restartCount: container?.restartCount, message: container?.state.terminated?.message }, { restartCount: 1, message: 'second run' });
});

test('a Deployment of 2 gets 2 ready replicas, and scaling it to 0 stops both processes with SIGTERM', async () => {
  const script = 'console.log("pid=" + process.pid); process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(0); }); setInterval(() => {}, 1000);';
  await k.applyYaml(stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'sleeper', namespace: NS },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'sleeper' } },
      template: {
        metadata: { labels: { app: 'sleeper' } },
        spec: { terminationGracePeriodSeconds: 10, containers: [{ name: 'main', image: 'bulkhead:test', command: ['node', '-e', script] }] },
      },
    },
  }));
  await waitFor(async () => {
    const got = await k.getJson<{ status?: { readyReplicas?: number } }>('deployment', 'sleeper', NS);
    return { done: got?.status?.readyReplicas === 2, value: got?.status };
  }, { what: 'deployment/sleeper to have 2 ready replicas' });
  const names = (await podsOf('app=sleeper')).map((p) => p.metadata.name);
  assert.equal(names.length, 2);
  // Without a readiness probe a pod is Ready once its process is started, which can be before it printed anything.
  const pids = await waitFor(async () => {
    const found = names.map((name) => Number(/^pid=(\d+)$/m.exec(kubelet.logs(NS, name))?.[1]));
    return Promise.resolve({ done: found.every((pid) => pid > 0), value: found });
  }, { what: 'both sleeper pods to print their pid' });

  const scaled = await k.kubectl(['scale', 'deployment/sleeper', '-n', NS, '--replicas=0']);
  assert.equal(scaled.code, 0, scaled.stderr);
  await waitFor(async () => {
    const left = (await podsOf('app=sleeper')).map((p) => p.metadata.name);
    return { done: left.length === 0, value: left };
  }, { what: 'the pods of deployment/sleeper to be gone' });
  for (const [i, name] of names.entries()) {
    assert.match(kubelet.logs(NS, name), /^got SIGTERM$/m, `pod ${name} got SIGTERM`);
    assert.throws(() => process.kill(pids[i] ?? 0, 0), /ESRCH/, `process ${pids[i]} of pod ${name} has exited`);
  }
});

test('the CRDs are served: kubectl get csvi works, and an invalid CsvImport is refused naming the field', async () => {
  const listed = await k.kubectl(['get', 'csvi', '-n', NS]);
  assert.equal(listed.code, 0, listed.stderr);
  const example = parse(await readFile(EXAMPLE_IMPORT, 'utf8')) as { metadata: Record<string, unknown>; spec: { merge: { chunkRows: number } } };
  example.metadata.namespace = NS;
  await k.applyYaml(stringify(example));
  assert.ok(await k.getJson('csvi', 'advertisers', NS), 'the valid example was stored');

  example.spec.merge.chunkRows = 0;
  const refused = await k.kubectl(['apply', '-f', '-'], { stdin: stringify(example) });
  assert.notEqual(refused.code, 0, 'kubectl apply of chunkRows: 0 must fail');
  assert.match(refused.stderr, /spec\.merge\.chunkRows/);
});

test('after the API server restarts, the fake kubelet still runs new pods', async () => {
  await cp.restartApiServer();
  await k.applyYaml(job('after-restart', 'console.log("still here")'));
  await jobCondition('after-restart', 'Complete');
});
