import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/** Why a runner pod cannot start, in Kubernetes' own words: the scheduler's or the kubelet's reason and message. */
export interface PodTrouble {
  pod: string;
  /** Unschedulable, or the container's waiting reason (ErrImagePull, CreateContainerConfigError, ...). */
  reason: string;
  /** Kubernetes' message, at most MAX_TROUBLE_MESSAGE characters, with the pod's literal env values masked. */
  message: string;
}

/** Longer messages (a scheduler's list of every node's verdict) are cut here. */
export const MAX_TROUBLE_MESSAGE = 256;

/**
 * Waiting reasons of a container that will not start until someone acts: a bad or unpullable image, a missing
 * Secret, ConfigMap or key, a container the runtime could not create or start. ContainerCreating and
 * PodInitializing are normal steps on the way, and CrashLoopBackOff is a container that did start.
 */
const BLOCKED_WAITING_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** The trouble that keeps one pod from starting, if any. Pure. */
export function podTrouble(pod: V1Pod): PodTrouble | undefined {
  if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;
  const name = pod.metadata?.name ?? '';
  const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  if (unschedulable) return { pod: name, reason: 'Unschedulable', message: cleanMessage(pod, unschedulable.message ?? 'no node fits the pod') };
  const statuses: V1ContainerStatus[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const status of statuses) {
    const reason = status.state?.waiting?.reason;
    if (reason && BLOCKED_WAITING_REASONS.has(reason)) {
      return { pod: name, reason, message: cleanMessage(pod, `container ${status.name}: ${status.state?.waiting?.message ?? reason}`) };
    }
  }
  return undefined;
}

/** The trouble of the most recently created blocked pod among some, if any. Pure. */
export function podsTrouble(pods: readonly V1Pod[]): PodTrouble | undefined {
  const newestFirst = [...pods].sort((a, b) => created(b) - created(a));
  for (const pod of newestFirst) {
    const trouble = podTrouble(pod);
    if (trouble) return trouble;
  }
  return undefined;
}

function created(pod: V1Pod): number {
  const at = pod.metadata?.creationTimestamp;
  return at ? new Date(at).getTime() : 0;
}

/**
 * Kubernetes' messages name objects and keys, not values; still, no literal env value of the pod's (BULKHEAD_SPEC,
 * say) may reach a status or an Event through one, so any that appears is masked before the message is cut.
 */
function cleanMessage(pod: V1Pod, message: string): string {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const values = containers.flatMap((c) => (c.env ?? []).map((e) => e.value ?? '')).filter((v) => v.length >= 4);
  let clean = message.trim();
  for (const value of values) clean = clean.split(value).join('<env value>');
  return clean.length > MAX_TROUBLE_MESSAGE ? `${clean.slice(0, MAX_TROUBLE_MESSAGE - 1)}…` : clean;
}
