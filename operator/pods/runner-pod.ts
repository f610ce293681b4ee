import type { V1Container, V1EnvVar, V1PodSecurityContext, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { DatabaseSecret } from '../database/database-secret.js';
import { effectiveRunnerOptions, type RunnerPodOptions } from './runner-pod-options.js';

/** What every runner pod shares: image, identity, database env and a restricted security context. */
export interface RunnerPodSettings {
  image: string;
  imagePullPolicy?: string;
  /** Port for the runner's /metrics; undefined serves none (the default when pods share a host, as in tests). */
  metricsPort: number | undefined;
  /** What every runner pod gets unless its CR's spec.runner says otherwise (--runner-pod-defaults-file); none: {}. */
  defaults?: RunnerPodOptions;
}

/** Labels on everything the operator creates. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'bulkhead' } as const;

/** The pod-level security context of the "restricted" Pod Security Standard. */
const POD_SECURITY: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * The database settings as environment variables taken from the Secret, never copied into the pod spec:
 * DATABASE_URL from the key `uri`, or the libpq PG* variables from host, port, dbname, user and password.
 */
export function databaseEnv(secret: DatabaseSecret): V1EnvVar[] {
  const ref = (key: string, optional = false) => ({ secretKeyRef: { name: secret.name, key, ...(optional ? { optional } : {}) } });
  if (secret.form === 'uri') return [{ name: 'DATABASE_URL', valueFrom: ref('uri') }];
  return [
    { name: 'PGHOST', valueFrom: ref('host') },
    { name: 'PGPORT', valueFrom: ref('port', true) },
    { name: 'PGDATABASE', valueFrom: ref('dbname', true) },
    { name: 'PGUSER', valueFrom: ref('user', true) },
    { name: 'PGPASSWORD', valueFrom: ref('password', true) },
  ];
}

/**
 * One runner container: `bulkhead <command>` with its spec and identity in the environment. Only args are set, so the
 * image's entrypoint runs them: tini as PID 1, which passes a SIGTERM on even before node has installed its handler.
 */
export function runnerContainer(settings: RunnerPodSettings, command: 'import' | 'worker', env: V1EnvVar[]): V1Container {
  const metrics = settings.metricsPort;
  return {
    name: command,
    image: settings.image,
    ...(settings.imagePullPolicy ? { imagePullPolicy: settings.imagePullPolicy } : {}),
    args: metrics === undefined ? [command] : [command, '--metrics-port', String(metrics)],
    env,
    ...(metrics === undefined ? {} : { ports: [{ name: 'metrics', containerPort: metrics }] }),
    // The import writes its summary to /dev/termination-log; if it dies before that, the log tail explains why.
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

/** What a runner pod template is made of, besides the operator's defaults. */
export interface RunnerPodParts {
  container: V1Container;
  /** The operator's labels; they win over any from spec.runner or the defaults. */
  labels: Record<string, string>;
  /** The CR's spec.runner. */
  override: RunnerPodOptions | undefined;
  restartPolicy: string;
  terminationGracePeriodSeconds: number;
  volumes?: V1PodSpec['volumes'];
}

/**
 * The pod template around a runner container: the resources, scheduling and metadata of the defaults and the CR's
 * spec.runner (effectiveRunnerOptions), and always the operator's own security: no API access, no service links,
 * the restricted security context, which neither can set.
 */
export function runnerPodTemplate(settings: RunnerPodSettings, parts: RunnerPodParts): V1PodTemplateSpec {
  const { labels, annotations, resources, nodeSelector, tolerations, affinity, priorityClassName, imagePullSecrets } =
    effectiveRunnerOptions(settings.defaults ?? {}, parts.override);
  return {
    metadata: { labels: { ...labels, ...parts.labels } as Record<string, string>, ...(annotations ? { annotations: annotations as Record<string, string> } : {}) },
    spec: {
      restartPolicy: parts.restartPolicy,
      terminationGracePeriodSeconds: parts.terminationGracePeriodSeconds,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: POD_SECURITY,
      containers: [{ ...parts.container, resources: resources as V1Container['resources'] }],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, ...(parts.volumes ?? [])],
      ...(isSet(nodeSelector) ? { nodeSelector: nodeSelector as Record<string, string> } : {}),
      ...(isSet(tolerations) ? { tolerations } : {}),
      ...(isSet(affinity) ? { affinity } : {}),
      ...(priorityClassName ? { priorityClassName } : {}),
      ...(isSet(imagePullSecrets) ? { imagePullSecrets } : {}),
    },
  };
}

/** Whether a setting says anything: an empty list or map (the chart's defaults, or a CR clearing one) says nothing. */
function isSet(value: object | undefined): value is object {
  return value !== undefined && Object.keys(value).length > 0;
}

/**
 * BULKHEAD_SPEC, BULKHEAD_NAME and BULKHEAD_NAMESPACE: how the operator hands a runner its configuration. spec.runner
 * stays out: it shapes the pod, which is the operator's business, not the runner's.
 */
export function specEnv(spec: object, namespace: string, name: string): V1EnvVar[] {
  const forRunner: Record<string, unknown> = { ...spec };
  delete forRunner.runner;
  return [
    { name: 'BULKHEAD_SPEC', value: JSON.stringify(forRunner) },
    { name: 'BULKHEAD_NAME', value: name },
    { name: 'BULKHEAD_NAMESPACE', value: namespace },
  ];
}
