/**
 * The kubelet's part, played by the test harness, since the test control plane has no node: it registers a Node
 * named `fake-kubelet` and runs every pod of every namespace that is not bound elsewhere as a local process (the
 * kubelet/ folder has the details: env resolution, process, status, restarts, deletion).
 *
 * It does nothing a kubelet would not do: it binds (standing in for the scheduler, which does not run either, and
 * like it leaving a pod whose PersistentVolumeClaims are missing or unbound Unschedulable),
 * writes pod status through the status subresource, and deletes a pod only as the kubelet's final delete after
 * the pod's deletion was requested.
 *
 * Differences from a real kubelet, all because a local process is not a container:
 * - the termination message is the container's last non-empty stdout line (container-process.ts);
 * - volumes are not mounted, and init containers, sidecars and probes do not run;
 * - `kubectl logs` does not work (there is no kubelet API); use logs() or the files in logDir.
 */
import { dirname, join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './kubelet/api-errors.js';
import type { ConfigSource } from './kubelet/container-env.js';
import { PodLogs } from './kubelet/pod-logs.js';
import { PodWorker, type KubeletContext } from './kubelet/pod-worker.js';
import { startResilientInformer, type ResilientInformer } from './kubelet/resilient-informer.js';

/** The node every pod is bound to. */
export const NODE_NAME = 'fake-kubelet';
/** How long stop() lets pods' processes exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;

/** Options for startFakeKubelet(). */
export interface FakeKubeletOptions {
  /** Where pod logs go; default `pods/` next to the kubeconfig (the control plane's temp dir). */
  logDir?: string;
  /** The kubelet's own warnings (watch restarts, failed writes); default stderr. */
  warn?: (message: string) => void;
}

/** A running fake kubelet. */
export interface FakeKubelet {
  /** stdout and stderr of a pod's container, all runs of it (in memory, the last MiB). */
  logs(namespace: string, pod: string): string;
  /** The file that holds a pod's logs. */
  logFile(namespace: string, pod: string): string;
  /** Kills every pod process (SIGTERM, then SIGKILL) and stops watching. Pods stay as they are in the API. */
  stop(): Promise<void>;
}

/** An API read that gives undefined for an object that does not exist. */
function orUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  return read.catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
}

function configSource(api: CoreV1Api): ConfigSource {
  return {
    secret: (namespace, name) => orUndefined(api.readNamespacedSecret({ name, namespace })),
    configMap: (namespace, name) => orUndefined(api.readNamespacedConfigMap({ name, namespace })),
  };
}

async function registerNode(api: CoreV1Api): Promise<void> {
  try {
    await api.createNode({ body: { metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME } } } });
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
  const now = new Date();
  const capacity = { cpu: '8', memory: '16Gi', pods: '110' };
  await api.replaceNodeStatus({
    name: NODE_NAME,
    body: {
      metadata: { name: NODE_NAME },
      status: {
        capacity,
        allocatable: capacity,
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE_NAME }],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake-kubelet runs pods as local processes', lastHeartbeatTime: now, lastTransitionTime: now }],
      },
    },
  });
}

/** Whether this kubelet should run the pod (not yet handled, not finished, and not someone else's). */
function isOurs(pod: V1Pod): boolean {
  const nodeName = pod.spec?.nodeName;
  if (nodeName && nodeName !== NODE_NAME) return false;
  if (pod.spec?.schedulingGates?.length) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** Registers the node and starts running the cluster's pods. */
export async function startFakeKubelet(kubeconfig: string, options: FakeKubeletOptions = {}): Promise<FakeKubelet> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  const warn = options.warn ?? ((m: string) => process.stderr.write(`fake-kubelet: ${m}\n`));
  const logs = new PodLogs(options.logDir ?? join(dirname(kubeconfig), 'pods'));
  const readClaim = (namespace: string, name: string) => orUndefined(api.readNamespacedPersistentVolumeClaim({ namespace, name }));
  const ctx: KubeletContext = { api, nodeName: NODE_NAME, configSource: configSource(api), readClaim, logs, warn };
  await registerNode(api);

  const workers = new Map<string, PodWorker>();
  // Pods whose worker is done: an event from before their final status must not start them again.
  const finished = new Set<string>();
  const onPod = (pod: V1Pod) => {
    const uid = pod.metadata?.uid ?? '';
    const worker = workers.get(uid);
    if (worker) worker.update(pod);
    else if (!finished.has(uid) && isOurs(pod) && !pod.metadata?.deletionTimestamp) {
      const started = new PodWorker(pod, ctx);
      workers.set(uid, started);
      void started.done.then(() => {
        workers.delete(uid);
        finished.add(uid);
      });
    }
  };
  const onPodRemoved = (pod: V1Pod) => {
    const uid = pod.metadata?.uid ?? '';
    workers.get(uid)?.removed();
    finished.delete(uid);
  };
  const informer: ResilientInformer<V1Pod> = await startResilientInformer(kc, '/api/v1/pods', () => api.listPodForAllNamespaces(), {
    upsert: onPod,
    removed: onPodRemoved,
    warn,
  });

  return {
    logs: (namespace, pod) => logs.get(namespace, pod),
    logFile: (namespace, pod) => logs.file(namespace, pod),
    stop: async () => {
      await informer.stop();
      await Promise.all([...workers.values()].map((w) => w.stop(STOP_GRACE_MS)));
      workers.clear();
    },
  };
}
