import type { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, KubernetesListObject, KubernetesObject, V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
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

/** Jobs that the operator made (labelled managed-by bulkhead). */
export function jobKind(api: BatchV1Api): ResourceKind<V1Job> {
  return {
    what: 'jobs',
    path: scoped('/apis/batch/v1', 'jobs'),
    labelSelector: MANAGED,
    list: (namespace) => (namespace ? api.listNamespacedJob({ namespace, labelSelector: MANAGED }) : api.listJobForAllNamespaces({ labelSelector: MANAGED })),
  };
}

/** Deployments that the operator made. */
export function deploymentKind(api: AppsV1Api): ResourceKind<V1Deployment> {
  return {
    what: 'deployments',
    path: scoped('/apis/apps/v1', 'deployments'),
    labelSelector: MANAGED,
    list: (namespace) => (namespace ? api.listNamespacedDeployment({ namespace, labelSelector: MANAGED }) : api.listDeploymentForAllNamespaces({ labelSelector: MANAGED })),
  };
}

/** Runner pods (their templates carry the managed-by label). */
export function podKind(api: CoreV1Api): ResourceKind<V1Pod> {
  return {
    what: 'pods',
    path: scoped('/api/v1', 'pods'),
    labelSelector: MANAGED,
    list: (namespace) => (namespace ? api.listNamespacedPod({ namespace, labelSelector: MANAGED }) : api.listPodForAllNamespaces({ labelSelector: MANAGED })),
  };
}
