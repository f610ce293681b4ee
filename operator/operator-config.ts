import { hostname } from 'node:os';
import { InvalidInputError } from '../runners/shared/errors.js';
import { numberFlag } from '../runners/shared/number-flag.js';
import { DEFAULT_HEADROOM, parseHeadroom, type Headroom } from './budget/headroom.js';
import { readRunnerPodDefaults, type RunnerPodOptions } from './pods/runner-pod-options.js';

/** `bulkhead operator` flags as commander hands them over. */
export interface OperatorFlags {
  namespaces?: string;
  port?: string;
  runnerImage?: string;
  runnerMetricsPort?: string;
  runnerPodDefaultsFile?: string;
  imagePullPolicy?: string;
  leaderElect?: boolean;
  leaseName?: string;
  leaseNamespace?: string;
  leaseSeconds?: string;
  renewDeadlineSeconds?: string;
  retrySeconds?: string;
  observeIntervalSeconds?: string;
  resyncSeconds?: string;
  headroom?: string;
  stallSeconds?: string;
  kubeconfig?: string;
}

/** The operator's whole configuration, validated once at start-up. */
export interface OperatorConfig {
  /** Namespaces to watch; undefined watches all. */
  namespaces: string[] | undefined;
  /** Port of /metrics, /healthz and /readyz. */
  port: number;
  runnerImage: string;
  /** Port the runners serve /metrics on; undefined gives them none. */
  runnerMetricsPort: number | undefined;
  /** What every runner pod gets unless its CR's spec.runner says otherwise (--runner-pod-defaults-file). */
  runnerPodDefaults: RunnerPodOptions;
  imagePullPolicy: string | undefined;
  leaderElect: boolean;
  lease: LeaseTiming & { name: string; namespace: string };
  /** This replica's identity in the Lease and its connections' application_name. */
  identity: string;
  namespace: string;
  observeIntervalMs: number;
  resyncMs: number;
  headroom: Headroom;
  /** /healthz fails once the work queue has had work this long without finishing any. */
  stallMs: number;
  kubeconfig: string | undefined;
}

/**
 * How long a Lease holds, as client-go's leader election has it (and with its defaults 15/10/2): a standby takes
 * over a Lease whose record it has not seen change for leaseSeconds; the leader gives up leading when it has not
 * renewed for renewDeadlineSeconds, strictly shorter, so it stops before anyone may start; both retry every
 * retrySeconds.
 */
export interface LeaseTiming {
  leaseSeconds: number;
  renewDeadlineSeconds: number;
  retrySeconds: number;
}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Builds the configuration from flags and the downward-API environment (POD_NAME, POD_NAMESPACE). */
export function operatorConfig(flags: OperatorFlags, env: NodeJS.ProcessEnv): OperatorConfig {
  const namespaces = flags.namespaces?.split(',').map((n) => n.trim()).filter(Boolean);
  for (const ns of namespaces ?? []) if (!NAMESPACE_NAME.test(ns)) throw new InvalidInputError(`--namespaces: "${ns}" is not a namespace name`);
  const namespace = flags.leaseNamespace ?? env.POD_NAMESPACE ?? 'default';
  const seconds = (value: string | undefined, flag: string, fallback: number) => (numberFlag(value, flag, { positive: true }) ?? fallback) * 1000;
  return {
    namespaces: namespaces && namespaces.length > 0 ? namespaces : undefined,
    port: numberFlag(flags.port, '--port', { integer: true }) ?? 8080,
    runnerImage: flags.runnerImage ?? env.BULKHEAD_RUNNER_IMAGE ?? 'bulkhead:latest',
    runnerMetricsPort: numberFlag(flags.runnerMetricsPort, '--runner-metrics-port', { integer: true, positive: true }),
    runnerPodDefaults: flags.runnerPodDefaultsFile ? readRunnerPodDefaults(flags.runnerPodDefaultsFile) : {},
    imagePullPolicy: flags.imagePullPolicy,
    leaderElect: flags.leaderElect ?? false,
    lease: { name: flags.leaseName ?? 'bulkhead-operator', namespace, ...leaseTiming(flags) },
    identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
    namespace,
    observeIntervalMs: seconds(flags.observeIntervalSeconds, '--observe-interval-seconds', 10),
    resyncMs: seconds(flags.resyncSeconds, '--resync-seconds', 30),
    headroom: flags.headroom ? parseHeadroom(flags.headroom) : DEFAULT_HEADROOM,
    stallMs: seconds(flags.stallSeconds, '--stall-seconds', 300),
    kubeconfig: flags.kubeconfig,
  };
}

/** The Lease timings from their flags, refused unless the leader gives up before a standby may take over. */
function leaseTiming(flags: OperatorFlags): LeaseTiming {
  const whole = (value: string | undefined, flag: string, fallback: number) => numberFlag(value, flag, { integer: true, positive: true }) ?? fallback;
  const timing = {
    leaseSeconds: whole(flags.leaseSeconds, '--lease-seconds', 15),
    renewDeadlineSeconds: whole(flags.renewDeadlineSeconds, '--renew-deadline-seconds', 10),
    retrySeconds: whole(flags.retrySeconds, '--retry-seconds', 2),
  };
  if (timing.renewDeadlineSeconds >= timing.leaseSeconds) {
    throw new InvalidInputError(`--renew-deadline-seconds (${timing.renewDeadlineSeconds}) must be less than --lease-seconds (${timing.leaseSeconds}): `
      + 'a leader that cannot renew must stop leading before a standby may take the Lease over');
  }
  if (timing.retrySeconds >= timing.renewDeadlineSeconds) {
    throw new InvalidInputError(`--retry-seconds (${timing.retrySeconds}) must be less than --renew-deadline-seconds (${timing.renewDeadlineSeconds}): `
      + 'the leader needs more than one try to renew before its deadline');
  }
  return timing;
}
