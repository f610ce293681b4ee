import type { V1Job, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { CsvImportSpec, CsvImportStatus } from '../../runners/shared/generated/csvimport.js';
import type { DatabaseSecret } from '../database/database-secret.js';
import { SOURCE_MOUNT_DIR } from '../../runners/shared/source-mount.js';
import { GROUP, VERSION, type CustomResource } from '../kube/custom-resource.js';
import { boundedName } from '../kube/ownership.js';
import { importJobName } from './import-run.js';
import { databaseEnv, MANAGED_BY, runnerContainer, runnerPodTemplate, specEnv, type RunnerPodSettings } from '../pods/runner-pod.js';

export type CsvImport = CustomResource<CsvImportSpec, CsvImportStatus>;

/**
 * The exit codes of `bulkhead import` that a retry cannot change, each with the reason of the Failed condition it
 * gives: 2, bad input (nothing is merged); 3, a row the target refused mid-merge (the chunks before it are merged).
 */
export const FINAL_EXIT_REASONS: ReadonlyMap<number, string> = new Map([[2, 'InvalidInput'], [3, 'RowRefused']]);

/**
 * The label that ties a Job (and its pods) to its CsvImport, for `kubectl get -l`: the CR's boundedName. Which Jobs
 * are the CR's is told by their controller owner reference, never by this label (see ownership.ts).
 */
export const CSV_IMPORT_LABEL = 'bulkhead.dev/csvimport';

/**
 * A ConfigMap or PVC source becomes a read-only volume at SOURCE_MOUNT_DIR; a URL needs none. The runner gets the
 * spec's source as it is and resolves the key (mounted under its own name) or the path itself, refusing any that
 * leads outside the volume; so its messages name the source as the user wrote it.
 */
function sourceVolume(source: CsvImportSpec['source']): { volume?: V1Volume; mount?: V1VolumeMount } {
  const mount = { name: 'source', mountPath: SOURCE_MOUNT_DIR, readOnly: true };
  if (source.configMap) {
    const { name, key } = source.configMap;
    return { volume: { name: 'source', configMap: { name, items: [{ key, path: key }] } }, mount };
  }
  if (source.persistentVolumeClaim) {
    return { volume: { name: 'source', persistentVolumeClaim: { claimName: source.persistentVolumeClaim.claimName, readOnly: true } }, mount };
  }
  return {};
}

/**
 * The Job that runs `bulkhead import` for the CR's current generation. Exit codes 2 (invalid input, nothing merged)
 * and 3 (a row the target refused during the merge) fail the Job at once through a podFailurePolicy: a retry would
 * meet the same rows. Other failures are retried up to backoffLimit, which is safe because an import is re-runnable.
 */
export function buildImportJob(cr: CsvImport, secret: DatabaseSecret, pod: RunnerPodSettings): V1Job {
  const name = importJobName(cr);
  const source = sourceVolume(cr.spec.source);
  const container = runnerContainer(pod, 'import', [...specEnv(cr.spec, cr.metadata.namespace, cr.metadata.name), ...databaseEnv(secret)]);
  if (source.mount) container.volumeMounts = [...(container.volumeMounts ?? []), source.mount];
  const labels = { ...MANAGED_BY, [CSV_IMPORT_LABEL]: boundedName(cr.metadata.name) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cr.metadata.namespace,
      labels: { ...labels, 'bulkhead.dev/generation': String(cr.metadata.generation ?? 1) },
      ownerReferences: [{ apiVersion: `${GROUP}/${VERSION}`, kind: 'CsvImport', name: cr.metadata.name, uid: cr.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: cr.spec.activeDeadlineSeconds,
      ttlSecondsAfterFinished: cr.spec.ttlSecondsAfterFinished,
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'import', operator: 'In', values: [...FINAL_EXIT_REASONS.keys()] } }] },
      template: runnerPodTemplate(pod, {
        container, labels, override: cr.spec.runner, restartPolicy: 'Never', terminationGracePeriodSeconds: 30, ...(source.volume ? { volumes: [source.volume] } : {}),
      }),
    },
  };
}
