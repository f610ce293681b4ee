import type { V1Container, V1EnvVar, V1PodSecurityContext, V1PodSpec } from '@kubernetes/client-node';
import type { DatabaseSecret } from '../database/database-secret.js';

/** What every runner pod shares: image, identity, database env and a restricted security context. */
export interface RunnerPodSettings {
  image: string;
  imagePullPolicy?: string;
  /** Port for the runner's /metrics; undefined serves none (the default when pods share a host, as in tests). */
  metricsPort: number | undefined;
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
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

/** The pod spec around a runner container: no API access, no service links, restricted security. */
export function runnerPodSpec(container: V1Container, extra: Pick<V1PodSpec, 'restartPolicy' | 'terminationGracePeriodSeconds'> & { volumes?: V1PodSpec['volumes'] }): V1PodSpec {
  return {
    ...extra,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: POD_SECURITY,
    containers: [container],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, ...(extra.volumes ?? [])],
  };
}

/** BULKHEAD_SPEC, BULKHEAD_NAME and BULKHEAD_NAMESPACE: how the operator hands a runner its configuration. */
export function specEnv(spec: unknown, namespace: string, name: string): V1EnvVar[] {
  return [
    { name: 'BULKHEAD_SPEC', value: JSON.stringify(spec) },
    { name: 'BULKHEAD_NAME', value: name },
    { name: 'BULKHEAD_NAMESPACE', value: namespace },
  ];
}
