import type { KubernetesObject } from '@kubernetes/client-node';

/** The API group and version of bulkhead's CRDs. */
export const GROUP = 'bulkhead.dev';
export const VERSION = 'v1alpha1';

/** A bulkhead custom resource as the API server returns it. */
export interface CustomResource<Spec, Status> extends KubernetesObject {
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string; namespace: string; uid: string; generation?: number };
  spec: Spec;
  status?: Status;
}

/** The two kinds, with what the API needs to address them. */
export const KINDS = {
  CsvImport: { kind: 'CsvImport', plural: 'csvimports' },
  StressRun: { kind: 'StressRun', plural: 'stressruns' },
} as const;

export type KindName = keyof typeof KINDS;

/** namespace/name, the work-queue key. */
export function objectKey(object: { metadata?: { namespace?: string; name?: string } }): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

/** Splits a work-queue key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
