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
