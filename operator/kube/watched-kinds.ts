import type { AppsV1Api, BatchV1Api, CustomObjectsApi, KubernetesListObject, KubernetesObject, V1Deployment, V1Job } from '@kubernetes/client-node';
import { MANAGED_BY } from '../pods/runner-pod.js';
import { GROUP, KINDS, VERSION, type KindName } from './custom-resource.js';
import type { ResourceKind } from './resource-watch.js';

const MANAGED = Object.entries(MANAGED_BY).map(([k, v]) => `${k}=${v}`).join(',');
const scoped = (prefix: string, plural: string) => (ns: string | undefined) => (ns ? `${prefix}/namespaces/${ns}/${plural}` : `${prefix}/${plural}`);

/** A bulkhead custom resource kind, cluster-wide or per namespace. */
export function customResourceKind<T extends KubernetesObject>(api: CustomObjectsApi, kind: KindName): ResourceKind<T> {
  const { plural } = KINDS[kind];
  return {
    what: plural,
    path: scoped(`/apis/${GROUP}/${VERSION}`, plural),
    list: async (namespace) =>
      (namespace
        ? await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural })
        : await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as KubernetesListObject<T>,
  };
}

/** A built-in kind, restricted to the objects the operator made (labelled managed-by bulkhead). */
function managedKind<T extends KubernetesObject>(
  what: string,
  prefix: string,
  inNamespace: (q: { namespace: string; labelSelector: string }) => Promise<KubernetesListObject<T>>,
  everywhere: (q: { labelSelector: string }) => Promise<KubernetesListObject<T>>,
): ResourceKind<T> {
  return {
    what,
    path: scoped(prefix, what),
    labelSelector: MANAGED,
    list: (namespace) => (namespace ? inNamespace({ namespace, labelSelector: MANAGED }) : everywhere({ labelSelector: MANAGED })),
    // The operator reads their labels and status only; the pod template (with BULKHEAD_SPEC) is the bulk.
    slim: (o) => {
      const spec = (o as { spec?: { template?: unknown } }).spec;
      if (spec) delete spec.template;
    },
  };
}

/** Jobs that the operator made. */
export const jobKind = (api: BatchV1Api): ResourceKind<V1Job> =>
  managedKind('jobs', '/apis/batch/v1', (q) => api.listNamespacedJob(q), (q) => api.listJobForAllNamespaces(q));

/** Deployments that the operator made. */
export const deploymentKind = (api: AppsV1Api): ResourceKind<V1Deployment> =>
  managedKind('deployments', '/apis/apps/v1', (q) => api.listNamespacedDeployment(q), (q) => api.listDeploymentForAllNamespaces(q));
