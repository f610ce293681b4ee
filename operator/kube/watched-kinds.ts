import type { AppsV1Api, BatchV1Api, CustomObjectsApi, KubernetesListObject, KubernetesObject, V1Deployment, V1Job } from '@kubernetes/client-node';
import { MANAGED_BY } from '../pods/runner-pod.js';
import { GROUP, KINDS, VERSION, type KindName } from './custom-resource.js';
import { timeoutOptions } from './request-timeout.js';
import type { ResourceKind } from './resource-watch.js';

/**
 * A list that has not been answered in this long is given up and retried (with the watch's backoff): without it, a
 * list sent into a connection that went silent would keep the operator from ever becoming ready, or saying why.
 */
const LIST_TIMEOUT = timeoutOptions(60_000);
const MANAGED = Object.entries(MANAGED_BY).map(([k, v]) => `${k}=${v}`).join(',');
const scoped = (prefix: string, plural: string) => (ns: string | undefined) => (ns ? `${prefix}/namespaces/${ns}/${plural}` : `${prefix}/${plural}`);

/** A bulkhead custom resource kind, cluster-wide or per namespace. */
export function customResourceKind<T extends KubernetesObject>(api: CustomObjectsApi, kind: KindName): ResourceKind<T> {
  const { plural } = KINDS[kind];
  return {
    what: `${plural}.${GROUP}`,
    path: scoped(`/apis/${GROUP}/${VERSION}`, plural),
    list: async (namespace) =>
      (namespace
        ? await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural }, LIST_TIMEOUT)
        : await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural }, LIST_TIMEOUT)) as KubernetesListObject<T>,
  };
}

/** A built-in kind, restricted to the objects the operator made (labelled managed-by bulkhead). */
function managedKind<T extends KubernetesObject>(
  what: string,
  prefix: string,
  inNamespace: (q: { namespace: string; labelSelector: string }, options: typeof LIST_TIMEOUT) => Promise<KubernetesListObject<T>>,
  everywhere: (q: { labelSelector: string }, options: typeof LIST_TIMEOUT) => Promise<KubernetesListObject<T>>,
): ResourceKind<T> {
  return {
    what,
    path: scoped(prefix, what),
    labelSelector: MANAGED,
    list: (namespace) => (namespace ? inNamespace({ namespace, labelSelector: MANAGED }, LIST_TIMEOUT) : everywhere({ labelSelector: MANAGED }, LIST_TIMEOUT)),
    // The operator reads their labels and status only; the pod template (with BULKHEAD_SPEC) is the bulk.
    slim: (o) => {
      const spec = (o as { spec?: { template?: unknown } }).spec;
      if (spec) delete spec.template;
    },
  };
}

/** Jobs that the operator made. */
export const jobKind = (api: BatchV1Api): ResourceKind<V1Job> =>
  managedKind('jobs', '/apis/batch/v1', (q, o) => api.listNamespacedJob(q, o), (q, o) => api.listJobForAllNamespaces(q, o));

/** Deployments that the operator made. */
export const deploymentKind = (api: AppsV1Api): ResourceKind<V1Deployment> =>
  managedKind('deployments', '/apis/apps/v1', (q, o) => api.listNamespacedDeployment(q, o), (q, o) => api.listDeploymentForAllNamespaces(q, o));
