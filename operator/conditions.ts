/** A status condition as the Kubernetes API conventions define it. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/**
 * Sets one condition in a list, keeping lastTransitionTime when the status did not change (the convention:
 * it marks the last change of status, not of reason or message). Returns a new list.
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const condition: Condition = { ...next, message: next.message.slice(0, 32_768), lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : now };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}

/** The condition of a type, if set. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** What Ready and Stalled say: whether the resource is as asked, whether it failed for good, and why. */
export interface Readiness {
  ready: boolean;
  stalled: boolean;
  reason: string;
  message: string;
}

/**
 * Sets Ready, Stalled and Reconciling, the conditions GitOps tools read. kstatus (which Flux uses) reads only the
 * last two on a custom resource: Stalled=True is Failed, Reconciling=True is InProgress, and anything else is
 * Current, so Reconciling=True is what keeps a waiting or running CR from passing as done. Ready is what the Argo CD
 * health check in docs/gitops.md, Flux's healthCheckExprs and `kubectl wait --for=condition=Ready` read. All three
 * carry the reason and message of the state, and the generation they describe.
 */
export function setReadiness(conditions: readonly Condition[] | undefined, state: Readiness, generation: number, now: string): Condition[] {
  const { reason, message } = state;
  const reconciling = !state.ready && !state.stalled;
  const ready = setCondition(conditions, { type: 'Ready', status: state.ready ? 'True' : 'False', reason, message, observedGeneration: generation }, now);
  const stalled = setCondition(ready, { type: 'Stalled', status: state.stalled ? 'True' : 'False', reason, message, observedGeneration: generation }, now);
  return setCondition(stalled, { type: 'Reconciling', status: reconciling ? 'True' : 'False', reason, message, observedGeneration: generation }, now);
}
