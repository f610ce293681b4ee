import { findCondition, setCondition, type Condition } from '../conditions.js';
import type { PodTrouble } from './pod-trouble.js';

/** The condition that says a run's pods cannot start, with Kubernetes' reason and message. */
export const POD_BLOCKED = 'PodBlocked';

/** The outcome of applyPodTrouble: the new conditions, and a Warning Event when the trouble is new. */
export interface PodBlockedUpdate {
  conditions: Condition[];
  event: { type: 'Warning'; reason: string; message: string } | undefined;
}

/** The kubelet alternates ErrImagePull and ImagePullBackOff while it retries: one trouble, one Event. */
const sameTrouble = (reason: string) => (reason === 'ImagePullBackOff' ? 'ErrImagePull' : reason);

/**
 * PodBlocked=True with the trouble's reason and message while a pod is blocked; once none is (and one was),
 * PodBlocked=False with `clear`. A run that was never blocked gets no PodBlocked condition at all. The Warning
 * Event goes out when the condition turns True or its reason changes, not on every resync that sees it again.
 */
export function applyPodTrouble(
  conditions: readonly Condition[], trouble: PodTrouble | undefined, clear: { reason: string; message: string }, generation: number, now: string,
): PodBlockedUpdate {
  const before = findCondition(conditions, POD_BLOCKED);
  if (!trouble) {
    if (before?.status !== 'True') return { conditions: [...conditions], event: undefined };
    return { conditions: setCondition(conditions, { type: POD_BLOCKED, status: 'False', ...clear, observedGeneration: generation }, now), event: undefined };
  }
  const message = `pod ${trouble.pod}: ${trouble.message}`;
  const next = setCondition(conditions, { type: POD_BLOCKED, status: 'True', reason: trouble.reason, message, observedGeneration: generation }, now);
  const isNew = before?.status !== 'True' || sameTrouble(before.reason) !== sameTrouble(trouble.reason);
  return { conditions: next, event: isNew ? { type: 'Warning', reason: trouble.reason, message } : undefined };
}
