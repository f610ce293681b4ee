import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * The field manager of every write the operator makes (status, finalizers, Jobs, Deployments), so that
 * `kubectl get --show-managed-fields` and server-side apply conflicts name it.
 */
export const FIELD_MANAGER = 'bulkhead-operator';

/** The most a label value (and a name that becomes one, such as a Job's or a Deployment's) may hold. */
const LABEL_VALUE_MAX = 63;

/**
 * A CR name made fit for a label value or a child's name: the name itself when it fits in 63 characters; otherwise
 * its first 56, cut back to end on a letter or digit, then `-` and 6 hex of a hash of the whole name. A CR name may
 * be 253 characters long, so two names that share their first 63 still get two values, and one name always the same.
 */
export function boundedName(name: string): string {
  if (name.length <= LABEL_VALUE_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, LABEL_VALUE_MAX - 7).replace(/[-.]+$/, '')}-${hash}`;
}

/** The controller owner reference of an object, if it has one. */
function controllerOf(object: KubernetesObject): { kind: string; name: string; uid: string } | undefined {
  return object.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/**
 * Whether `uid` is the object's controller. A child is matched by this, never by its label alone: the label holds a
 * bounded name, an index to narrow the search, and a CR deleted and made again under the same name has a new uid.
 */
export function controlledBy(object: KubernetesObject, uid: string): boolean {
  return controllerOf(object)?.uid === uid;
}

/** The name of the object's controller when it is of `kind` (how a child's change finds the CR to reconcile). */
export function controllerName(object: KubernetesObject, kind: string): string | undefined {
  const owner = controllerOf(object);
  return owner?.kind === kind ? owner.name : undefined;
}
