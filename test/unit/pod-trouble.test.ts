import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1ContainerStateWaiting, V1Job, V1Pod } from '@kubernetes/client-node';
import { decideImport } from '../../operator/csv-import/decide-import.js';
import type { CsvImport } from '../../operator/csv-import/import-job.js';
import { importJobName } from '../../operator/csv-import/import-run.js';
import { applyPodTrouble } from '../../operator/pods/pod-blocked.js';
import { MAX_TROUBLE_MESSAGE, podsTrouble, podTrouble } from '../../operator/pods/pod-trouble.js';
import { decideStressRun } from '../../operator/stress-run/decide-stress-run.js';
import type { StressRun } from '../../operator/stress-run/worker-deployment.js';
import { importSpec } from './import-spec.js';

const NOW = '2026-11-30T12:00:00.000Z';
const SPEC_JSON = '{"source":{"persistentVolumeClaim":{"claimName":"csv-data","path":"adv.csv"}},"target":{"table":"advertisers"}}';

/** A runner pod as `kubectl get pod -o json` shows it, with the status parts that vary. */
function pod(name: string, status: { phase?: string; scheduled?: { status: string; reason?: string; message?: string }; waiting?: V1ContainerStateWaiting; running?: boolean }, created = '2026-11-30T11:59:00Z'): V1Pod {
  const at = new Date('2026-11-30T11:59:01Z');
  return {
    metadata: { name, namespace: 'imports', uid: `uid-${name}`, creationTimestamp: new Date(created), labels: { 'batch.kubernetes.io/job-name': 'adv-3a9f0c' } },
    spec: {
      containers: [{ name: 'import', image: 'registry.example/bulkhead:0.1.1', env: [
        { name: 'BULKHEAD_SPEC', value: SPEC_JSON },
        { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'pg-app', key: 'uri' } } },
      ] }],
      restartPolicy: 'Never',
    },
    status: {
      phase: status.phase ?? 'Pending',
      qosClass: 'Burstable',
      conditions: [
        { type: 'PodScheduled', lastTransitionTime: at, status: status.scheduled?.status ?? 'True', ...(status.scheduled?.reason ? { reason: status.scheduled.reason, message: status.scheduled.message } : {}) },
        ...(status.scheduled?.status === 'False' ? [] : [
          { type: 'Initialized', status: 'True', lastTransitionTime: at },
          { type: 'Ready', status: status.running ? 'True' : 'False', lastTransitionTime: at, ...(status.running ? {} : { reason: 'ContainersNotReady', message: 'containers with unready status: [import]' }) },
        ]),
      ],
      ...(status.scheduled?.status === 'False' ? {} : {
        hostIP: '10.0.0.7',
        startTime: at,
        containerStatuses: [{
          name: 'import', image: 'registry.example/bulkhead:0.1.1', imageID: '', ready: !!status.running, started: !!status.running, restartCount: 0,
          state: status.running ? { running: { startedAt: at } } : { waiting: status.waiting ?? { reason: 'ContainerCreating' } },
        }],
      }),
    },
  };
}

const UNBOUND = '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';

test('each reason a runner pod cannot start is reported with Kubernetes\' reason and message', () => {
  const cases: [V1Pod, string, string][] = [
    [pod('unschedulable', { scheduled: { status: 'False', reason: 'Unschedulable', message: UNBOUND } }), 'Unschedulable', UNBOUND],
    [pod('pull', { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = failed to pull and unpack image "registry.example/bulkhead:0.1.1": not found' } }),
      'ErrImagePull', 'container import: rpc error: code = NotFound desc = failed to pull and unpack image "registry.example/bulkhead:0.1.1": not found'],
    [pod('backoff', { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example/bulkhead:0.1.1"' } }), 'ImagePullBackOff', 'container import: Back-off pulling image "registry.example/bulkhead:0.1.1"'],
    [pod('badname', { waiting: { reason: 'InvalidImageName', message: 'Failed to apply default image tag "bulkhead::1": couldn\'t parse image name "bulkhead::1": invalid reference format' } }),
      'InvalidImageName', 'container import: Failed to apply default image tag "bulkhead::1": couldn\'t parse image name "bulkhead::1": invalid reference format'],
    [pod('nokey', { waiting: { reason: 'CreateContainerConfigError', message: 'couldn\'t find key uri in Secret imports/pg-app' } }), 'CreateContainerConfigError', 'container import: couldn\'t find key uri in Secret imports/pg-app'],
    [pod('nosecret', { waiting: { reason: 'CreateContainerConfigError', message: 'secret "pg-app" not found' } }), 'CreateContainerConfigError', 'container import: secret "pg-app" not found'],
    [pod('create', { waiting: { reason: 'CreateContainerError', message: 'failed to reserve container name "import_adv-3a9f0c-x7k2p_imports": name is reserved' } }), 'CreateContainerError', 'container import: failed to reserve container name "import_adv-3a9f0c-x7k2p_imports": name is reserved'],
    [pod('run', { waiting: { reason: 'RunContainerError', message: 'failed to start containerd task: exec: "bulkhead": executable file not found in $PATH: unknown' } }), 'RunContainerError', 'container import: failed to start containerd task: exec: "bulkhead": executable file not found in $PATH: unknown'],
  ];
  for (const [p, reason, message] of cases) assert.deepEqual(podTrouble(p), { pod: p.metadata?.name, reason, message }, p.metadata?.name);
});

test('a pod that is starting, running, restarting, finished or being deleted is no trouble', () => {
  const deleting = pod('deleting', { waiting: { reason: 'CreateContainerConfigError', message: 'secret "pg-app" not found' } });
  deleting.metadata!.deletionTimestamp = new Date(NOW);
  const pods = [
    pod('creating', { waiting: { reason: 'ContainerCreating' } }),
    pod('gated', { scheduled: { status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' } }),
    pod('running', { phase: 'Running', running: true }),
    pod('crashing', { phase: 'Running', waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=import' } }),
    pod('done', { phase: 'Failed', waiting: { reason: 'CreateContainerConfigError', message: 'x' } }),
    deleting,
  ];
  for (const p of pods) assert.equal(podTrouble(p), undefined, p.metadata?.name);
  assert.equal(podsTrouble(pods), undefined);
});

test('a long message is cut to 256 characters and never carries a literal env value of the pod', () => {
  const nodes = Array.from({ length: 40 }, (_, i) => `node-${i} didn't match Pod's node affinity/selector`).join(', ');
  const long = podTrouble(pod('long', { scheduled: { status: 'False', reason: 'Unschedulable', message: `0/40 nodes are available: ${nodes}.` } }));
  assert.equal(long?.message.length, MAX_TROUBLE_MESSAGE);
  assert.ok(long?.message.endsWith('…'));
  const leaky = podTrouble(pod('leaky', { waiting: { reason: 'CreateContainerError', message: `invalid env BULKHEAD_SPEC=${SPEC_JSON}` } }));
  assert.equal(leaky?.message, 'container import: invalid env BULKHEAD_SPEC=<env value>');
});

test('among several pods, the newest blocked one is reported', () => {
  const older = pod('older', { waiting: { reason: 'ErrImagePull', message: 'not found' } }, '2026-11-30T11:00:00Z');
  const newer = pod('newer', { waiting: { reason: 'CreateContainerConfigError', message: 'secret "pg-app" not found' } }, '2026-11-30T11:30:00Z');
  const running = pod('running', { phase: 'Running', running: true }, '2026-11-30T11:50:00Z');
  assert.equal(podsTrouble([older, running, newer])?.pod, 'newer');
});

test('PodBlocked turns True with one Warning Event per trouble, not per resync nor per image pull retry, and False once it clears', () => {
  const pull = { pod: 'p', reason: 'ErrImagePull', message: 'not found' };
  const clear = { reason: 'PodRunning', message: 'running' };
  const first = applyPodTrouble([], pull, clear, 1, NOW);
  assert.deepEqual(first.event, { type: 'Warning', reason: 'ErrImagePull', message: 'pod p: not found' });
  assert.deepEqual(first.conditions.map((c) => [c.type, c.status, c.reason, c.message]), [['PodBlocked', 'True', 'ErrImagePull', 'pod p: not found']]);
  assert.equal(applyPodTrouble(first.conditions, pull, clear, 1, NOW).event, undefined, 'seen again on a resync');
  const backoff = applyPodTrouble(first.conditions, { ...pull, reason: 'ImagePullBackOff', message: 'Back-off pulling image' }, clear, 1, NOW);
  assert.equal(backoff.event, undefined, 'the kubelet alternating ErrImagePull and ImagePullBackOff is one trouble');
  assert.equal(backoff.conditions[0]?.reason, 'ImagePullBackOff', 'the condition shows the latest word');
  assert.equal(applyPodTrouble(backoff.conditions, { pod: 'p', reason: 'Unschedulable', message: 'no node' }, clear, 1, NOW).event?.reason, 'Unschedulable');
  const cleared = applyPodTrouble(backoff.conditions, undefined, clear, 1, '2026-11-30T12:05:00.000Z');
  assert.deepEqual(cleared.conditions.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]), [['PodBlocked', 'False', 'PodRunning', '2026-11-30T12:05:00.000Z']]);
  assert.deepEqual(applyPodTrouble([], undefined, clear, 1, NOW), { conditions: [], event: undefined }, 'a run never blocked gets no condition');
});

const importCr = (status: CsvImport['status']): CsvImport => ({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'CsvImport', metadata: { name: 'adv', namespace: 'imports', uid: 'u-1', generation: 1 }, status,
  spec: importSpec({
    database: { secretRef: { name: 'pg-app' } }, source: { persistentVolumeClaim: { claimName: 'csv-data', path: 'adv.csv' }, maxBytes: 10737418240, deadlineSeconds: 1800 },
    target: { table: 'advertisers', key: ['id'] },
  }),
});

test('an import whose pod cannot be scheduled says so in PodBlocked and a Warning Event, clears it once the pod runs, and names it if the Job fails', () => {
  const jobName = importJobName(importCr(undefined));
  const admitted = { phase: 'Admitted' as const, observedGeneration: 1, jobName, grantedConnections: 1 };
  const jobWith = (status: V1Job['status']): V1Job => ({ metadata: { name: jobName }, status });
  const stuck = decideImport({ cr: importCr(admitted), jobs: [jobWith({ active: 1, ready: 0 })], pods: [pod('adv-3a9f0c-x7k2p', { scheduled: { status: 'False', reason: 'Unschedulable', message: UNBOUND } })], admission: { admitted: true, message: '' }, specError: undefined, now: NOW });
  assert.equal(stuck.status.phase, 'Admitted');
  assert.deepEqual(stuck.status.conditions?.filter((c) => c.type === 'PodBlocked').map((c) => [c.status, c.reason, c.message]), [['True', 'Unschedulable', `pod adv-3a9f0c-x7k2p: ${UNBOUND}`]]);
  assert.deepEqual(stuck.events, [{ type: 'Warning', reason: 'Unschedulable', message: `pod adv-3a9f0c-x7k2p: ${UNBOUND}` }]);

  const runs = decideImport({ cr: importCr(stuck.status), jobs: [jobWith({ active: 1, ready: 1 })], pods: [], admission: { admitted: true, message: '' }, specError: undefined, now: NOW });
  assert.equal(runs.status.phase, 'Running');
  assert.deepEqual(runs.status.conditions?.filter((c) => c.type === 'PodBlocked').map((c) => [c.status, c.reason]), [['False', 'PodRunning']]);

  const deadline = jobWith({ active: 0, failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] });
  const failed = decideImport({ cr: importCr(stuck.status), jobs: [deadline], pods: [], admission: { admitted: true, message: '' }, specError: undefined, now: NOW });
  assert.equal(failed.status.phase, 'Failed');
  const succeeded = failed.status.conditions?.find((c) => c.type === 'Succeeded');
  assert.equal(succeeded?.message, `DeadlineExceeded: Job was active longer than specified deadline; its pod never started (Unschedulable: pod adv-3a9f0c-x7k2p: ${UNBOUND})`);
  assert.equal(failed.status.conditions?.find((c) => c.type === 'PodBlocked')?.status, 'False', 'a finished run has no blocked pod');
});

test('a StressRun with a worker pod that cannot pull its image says so in PodBlocked and a Warning Event', () => {
  const cr: StressRun = {
    apiVersion: 'bulkhead.dev/v1alpha1', kind: 'StressRun', metadata: { name: 'creatives', namespace: 'imports', uid: 'u-2', generation: 1 },
    spec: { queue: { table: 'q', idColumn: 'id', statusColumn: 'status', urlColumn: 'url', statuses: { pending: 'p', processing: 'r', completed: 'c', failed: 'f' }, batchSize: 1, leaseSeconds: 1, maxAttempts: 1 },
      processor: { type: 'noop' }, workers: 2, connectionsPerWorker: 1, priority: 0, durationSeconds: 0 },
  };
  const trouble = podTrouble(pod('creatives-5d9c-abcde', { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example/bulkhead:0.1.1"' } }));
  const decision = decideStressRun({ cr, deployment: { spec: { replicas: 2, selector: {}, template: {} }, status: { readyReplicas: 1 } }, grant: { workers: 2, message: undefined }, specError: undefined, queue: undefined, podTrouble: trouble, now: NOW });
  assert.deepEqual(decision.status.conditions?.filter((c) => c.type === 'PodBlocked').map((c) => [c.status, c.reason]), [['True', 'ImagePullBackOff']]);
  assert.ok(decision.events.some((e) => e.type === 'Warning' && e.reason === 'ImagePullBackOff' && e.message.includes('creatives-5d9c-abcde')));
  assert.equal(decision.status.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
});
