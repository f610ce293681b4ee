import type { V1Deployment } from '@kubernetes/client-node';
import type { StressRunSpec, StressRunStatus } from '../../runners/shared/generated/stressrun.js';
import type { DatabaseSecret } from '../database/database-secret.js';
import { GROUP, VERSION, type CustomResource } from '../kube/custom-resource.js';
import { boundedName } from '../kube/ownership.js';
import { databaseEnv, MANAGED_BY, runnerContainer, runnerPodTemplate, specEnv, type RunnerPodSettings } from '../pods/runner-pod.js';

export type StressRun = CustomResource<StressRunSpec, StressRunStatus>;

/**
 * The label that ties a Deployment and its pods to a StressRun; also the scale subresource's selector. Its value is
 * the CR's boundedName, so two StressRuns whose names share their first 63 characters select apart.
 */
export const STRESS_RUN_LABEL = 'bulkhead.dev/stressrun';

/**
 * The workers' Deployment has the StressRun's name, bounded to 63 characters with a hash of the whole name when it
 * is longer (the Deployment's ReplicaSets and pods append to it).
 */
export function workerDeploymentName(cr: StressRun): string {
  return boundedName(cr.metadata.name);
}

/** status.selector: what `kubectl scale` and an HPA count pods by. */
export function workerSelector(cr: StressRun): string {
  return `${STRESS_RUN_LABEL}=${boundedName(cr.metadata.name)}`;
}

/** The spec fields that only decide how many workers run, and when: the operator's business, not a worker's. */
const REPLICA_COUNT_FIELDS = ['workers', 'priority', 'durationSeconds'] as const;

/**
 * The spec that the worker pods get in BULKHEAD_SPEC: all but the fields that only set the replica count. A worker
 * reads queue, processor and connectionsPerWorker, never how many of its kind run. Left in the pod template,
 * `workers` made each `kubectl scale` (and each edit of priority or durationSeconds) a new template, so a new ReplicaSet
 * and a rolling restart of every worker; out of it, a scale changes spec.replicas and nothing else.
 */
export function workerPodSpec(spec: StressRunSpec): Omit<StressRunSpec, (typeof REPLICA_COUNT_FIELDS)[number]> {
  const forPods: Partial<StressRunSpec> = { ...spec };
  for (const field of REPLICA_COUNT_FIELDS) delete forPods[field];
  return forPods as Omit<StressRunSpec, (typeof REPLICA_COUNT_FIELDS)[number]>;
}

/**
 * The Deployment of `bulkhead worker` with `replicas` workers, as a server-side apply body. Rolling updates add
 * no surge pod, so a rollout never holds more connections than the grant. The grace period outlasts the
 * worker's own (it finishes or releases claimed rows on SIGTERM).
 */
export function buildWorkerDeployment(cr: StressRun, secret: DatabaseSecret, pod: RunnerPodSettings, replicas: number): V1Deployment {
  const labels = { ...MANAGED_BY, [STRESS_RUN_LABEL]: boundedName(cr.metadata.name) };
  const env = [
    ...specEnv(workerPodSpec(cr.spec), cr.metadata.namespace, cr.metadata.name),
    { name: 'BULKHEAD_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ...databaseEnv(secret),
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: workerDeploymentName(cr),
      namespace: cr.metadata.namespace,
      labels,
      ownerReferences: [{ apiVersion: `${GROUP}/${VERSION}`, kind: 'StressRun', name: cr.metadata.name, uid: cr.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: runnerPodTemplate(pod, {
        container: runnerContainer(pod, 'worker', env), labels, override: cr.spec.runner, restartPolicy: 'Always', terminationGracePeriodSeconds: 60,
      }),
    },
  };
}
