/**
 * The pod status that a kubelet would report for one container's state, as a pure function. The Job controller
 * reads phase; the ReplicaSet and Deployment controllers read the Ready condition; people read containerStatuses.
 */
import type { V1ContainerState, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

/** What the fake kubelet knows about the pod's (only) container. */
export type ContainerView =
  | { state: 'waiting'; reason: string; message: string; since: Date; restartCount: number; lastTerminated?: Terminated }
  | { state: 'running'; startedAt: Date; restartCount: number; lastTerminated?: Terminated }
  | { state: 'terminated'; terminated: Terminated; restartCount: number; lastTerminated?: Terminated };

/** One finished run of the container. */
export interface Terminated {
  exitCode: number;
  /** The signal that ended it, if any (exitCode is then 128 + its number, as a container runtime reports it). */
  signal?: string;
  message: string;
  startedAt: Date;
  finishedAt: Date;
  /** Overrides Completed/Error, e.g. StartError for a command that could not be run. */
  reason?: string;
}

/** The pod phase: Pending while the container waits, Running while it runs or restarts, then Succeeded or Failed. */
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

function terminatedState(t: Terminated): V1ContainerState {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'),
      message: t.message,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
      containerID: `fake://${t.startedAt.getTime()}`,
    },
  };
}

function condition(type: string, status: boolean, since: Date, reason?: string): V1PodCondition {
  return { type, status: status ? 'True' : 'False', lastTransitionTime: since, ...(reason ? { reason } : {}) };
}

/** The status for `phase` and the container's view; scheduledAt is when the pod was bound. */
export function podStatus(pod: V1Pod, phase: PodPhase, view: ContainerView, scheduledAt: Date): V1PodStatus {
  const container = pod.spec?.containers[0];
  let state: V1ContainerState;
  let since: Date;
  if (view.state === 'waiting') {
    state = { waiting: { reason: view.reason, message: view.message } };
    since = view.since;
  } else if (view.state === 'running') {
    state = { running: { startedAt: view.startedAt } };
    since = view.startedAt;
  } else {
    state = terminatedState(view.terminated);
    since = view.terminated.finishedAt;
  }
  const ready = view.state === 'running';
  const notReadyReason = view.state === 'terminated' ? 'PodCompleted' : ready ? undefined : 'ContainersNotReady';
  return {
    phase,
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime: scheduledAt,
    conditions: [
      condition('PodScheduled', true, scheduledAt),
      condition('Initialized', true, scheduledAt),
      condition('ContainersReady', ready, since, notReadyReason),
      condition('Ready', ready, since, notReadyReason),
    ],
    containerStatuses: [{
      name: container?.name ?? 'main',
      image: container?.image ?? '',
      imageID: '',
      ready,
      started: ready,
      restartCount: view.restartCount,
      state,
      ...(view.lastTerminated ? { lastState: terminatedState(view.lastTerminated) } : {}),
    }],
  };
}
