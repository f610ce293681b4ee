/**
 * kube-scheduler's verdict on a pod's PersistentVolumeClaims (its VolumeBinding plugin), which the fake kubelet
 * applies before it binds a pod since no scheduler runs: a claim that does not exist, or that is not Bound, leaves
 * the pod unscheduled (PodScheduled=False, reason Unschedulable) with the scheduler's message, and it is tried
 * again later. Every claim counts as immediate binding: there is no StorageClass, so none waits for its consumer.
 */
import type { V1PersistentVolumeClaim, V1Pod, V1PodStatus } from '@kubernetes/client-node';

/** Reads a PersistentVolumeClaim; undefined when it does not exist. */
export type ClaimReader = (namespace: string, name: string) => Promise<V1PersistentVolumeClaim | undefined>;

/** The scheduler's message for a pod with this one node, with its (unhelpful) preemption verdict. */
const fitError = (why: string) => `0/1 nodes are available: ${why}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`;

/** Why the scheduler would not place the pod, in its words; undefined when every claim it mounts is Bound. */
export async function unschedulableMessage(pod: V1Pod, readClaim: ClaimReader): Promise<string | undefined> {
  const namespace = pod.metadata?.namespace ?? 'default';
  let unbound = false;
  for (const volume of pod.spec?.volumes ?? []) {
    const name = volume.persistentVolumeClaim?.claimName;
    if (!name) continue;
    const claim = await readClaim(namespace, name);
    if (!claim) return fitError(`persistentvolumeclaim "${name}" not found`);
    if (claim.status?.phase !== 'Bound') unbound = true;
  }
  return unbound ? fitError('pod has unbound immediate PersistentVolumeClaims') : undefined;
}

/** The status the scheduler writes on a pod it cannot place. */
export function unschedulableStatus(message: string, since: Date): V1PodStatus {
  return { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: since }] };
}
