/**
 * The fake kubelet's handling of one pod, from binding to the final delete:
 *
 * 1. bind the pod to this node (no scheduler runs), once every PersistentVolumeClaim it mounts is Bound; until then
 *    report it Unschedulable in the scheduler's words and look again with backoff (volume-binding.ts);
 * 2. resolve the container's env; while a Secret or ConfigMap is missing, report CreateContainerConfigError and
 *    try again with backoff, as the kubelet does;
 * 3. run the first container and report Running and Ready;
 * 4. on exit, apply the restart policy: Always restarts any exit and OnFailure a non-zero one (restartCount + 1,
 *    CrashLoopBackOff meanwhile, after a short backoff); otherwise the pod ends Succeeded or Failed;
 * 5. on a deletionTimestamp, SIGTERM, then SIGKILL after the grace period, report the terminal status and delete
 *    the pod with grace period 0, which is the kubelet's final word on it.
 *
 * Init containers, further containers, volumes, probes and the pod's activeDeadlineSeconds are not emulated.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { stopChild } from '../child-processes.js';
import { isConflict, isNotFound, retryDelayMs } from './api-errors.js';
import { ContainerConfigError, resolveContainerEnv, type ConfigSource } from './container-env.js';
import { startContainer, type ContainerProcess } from './container-process.js';
import type { PodLogs } from './pod-logs.js';
import { podStatus, type ContainerView, type PodPhase, type Terminated } from './pod-status.js';
import { StatusWriter } from './status-writer.js';
import { unschedulableMessage, unschedulableStatus, type ClaimReader } from './volume-binding.js';

/** What a pod worker needs from its kubelet. */
export interface KubeletContext {
  api: CoreV1Api;
  nodeName: string;
  configSource: ConfigSource;
  /** Reads the PersistentVolumeClaims a pod mounts, to schedule it only once they are Bound. */
  readClaim: ClaimReader;
  logs: PodLogs;
  /** The kubelet's own diagnostics. */
  warn: (message: string) => void;
}

/** The kubelet's default for terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;
/** Restart backoff: 200 ms doubling, at most 5 s (the kubelet's is 10 s doubling, at most 5 min). */
const restartDelayMs = (restarts: number) => Math.min(200 * 2 ** restarts, 5000);

/** Runs one pod until it ends or is deleted. */
export class PodWorker {
  private pod: V1Pod;
  private readonly namespace: string;
  private readonly name: string;
  private readonly status: StatusWriter;
  private container: ContainerProcess | undefined;
  private restartCount = 0;
  private lastTerminated: Terminated | undefined;
  private scheduledAt = new Date();
  /** Aborted when the pod is being deleted, or the kubelet stops: ends every wait. */
  private readonly ending = new AbortController();
  private graceMs = DEFAULT_GRACE_SECONDS * 1000;
  private deleting = false;
  private stopped = false;
  /** Resolves when the worker is done with the pod. */
  readonly done: Promise<void>;

  constructor(pod: V1Pod, private readonly ctx: KubeletContext) {
    this.pod = pod;
    this.namespace = pod.metadata?.namespace ?? 'default';
    this.name = pod.metadata?.name ?? '';
    this.status = new StatusWriter(ctx.api, this.namespace, this.name, ctx.warn);
    this.done = this.run().catch((e: unknown) => ctx.warn(`pod ${this.namespace}/${this.name}: ${String(e)}`));
  }

  /** A newer version of the pod from the watch. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.deleting) {
      this.deleting = true;
      const seconds = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
      this.graceMs = seconds * 1000;
      this.ending.abort();
    }
  }

  /** The pod is gone from the API server (force-deleted): kill the container at once. */
  removed(): void {
    this.stopped = true;
    this.graceMs = 0;
    this.status.close();
    this.ending.abort();
  }

  /** The kubelet stops: SIGTERM, then SIGKILL after graceMs, and no more API writes. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.graceMs = Math.min(this.graceMs, graceMs);
    this.status.close();
    this.ending.abort();
    await this.done;
  }

  private get phaseWhileActive(): PodPhase {
    return this.container ? 'Running' : this.restartCount > 0 ? 'Running' : 'Pending';
  }

  private report(phase: PodPhase, view: ContainerView): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.status.write(podStatus(this.pod, phase, view, this.scheduledAt));
  }

  /** Waits ms, or less if the pod is being deleted. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.ending.signal;
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async run(): Promise<void> {
    if (!this.pod.spec?.nodeName && !(await this.bind())) return;
    let configAttempts = 0;
    while (!this.ending.signal.aborted) {
      const spec = this.pod.spec?.containers[0];
      if (!spec) return;
      let env: Record<string, string>;
      try {
        env = await resolveContainerEnv(this.pod, spec, this.ctx.configSource);
      } catch (e) {
        if (!(e instanceof ContainerConfigError)) throw e;
        void this.report(this.phaseWhileActive, { state: 'waiting', reason: 'CreateContainerConfigError', message: e.message, since: new Date(), restartCount: this.restartCount, ...this.last() });
        await this.pause(Math.min(500 * 2 ** configAttempts++, 5000));
        continue;
      }
      this.container = startContainer(this.pod, spec, env, this.ctx.logs);
      void this.report('Running', { state: 'running', startedAt: this.container.startedAt, restartCount: this.restartCount, ...this.last() });
      const terminated = await this.awaitExit(this.container);
      this.container = undefined;
      if (this.ending.signal.aborted || !this.restarts(terminated)) {
        this.lastTerminated = undefined;
        await this.finish(terminated);
        return;
      }
      this.lastTerminated = terminated;
      void this.report('Running', { state: 'waiting', reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${spec.name}`, since: new Date(), restartCount: this.restartCount, ...this.last() });
      await this.pause(restartDelayMs(this.restartCount));
      this.restartCount++;
    }
    // Deleted while waiting for its config or a restart: nothing runs.
    if (this.lastTerminated) await this.finish(this.lastTerminated);
    else await this.deleteFinally();
  }

  private last(): { lastTerminated?: Terminated } {
    return this.lastTerminated ? { lastTerminated: this.lastTerminated } : {};
  }

  private restarts(t: Terminated): boolean {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    return policy === 'Always' || (policy === 'OnFailure' && t.exitCode !== 0);
  }

  /** The container's exit, stopping it first if the pod is deleted meanwhile. */
  private async awaitExit(container: ContainerProcess): Promise<Terminated> {
    const stopOnEnd = () => void stopChild(container.child, this.graceMs);
    if (this.ending.signal.aborted) stopOnEnd();
    else this.ending.signal.addEventListener('abort', stopOnEnd, { once: true });
    const terminated = await container.finished;
    this.ending.signal.removeEventListener('abort', stopOnEnd);
    return terminated;
  }

  /** Reports the terminal phase; a pod being deleted is then deleted for good. */
  private async finish(t: Terminated): Promise<void> {
    await this.report(t.exitCode === 0 ? 'Succeeded' : 'Failed', { state: 'terminated', terminated: t, restartCount: this.restartCount });
    if (this.deleting) await this.deleteFinally();
  }

  private async bind(): Promise<boolean> {
    let unschedulableSince: Date | undefined;
    for (let attempt = 0; !this.ending.signal.aborted; attempt++) {
      try {
        const unschedulable = await unschedulableMessage(this.pod, this.ctx.readClaim);
        if (unschedulable) {
          unschedulableSince ??= new Date();
          if (!this.stopped) void this.status.write(unschedulableStatus(unschedulable, unschedulableSince));
          await this.pause(retryDelayMs(attempt));
          continue;
        }
        await this.ctx.api.createNamespacedPodBinding({
          name: this.name,
          namespace: this.namespace,
          body: { metadata: { name: this.name, namespace: this.namespace }, target: { apiVersion: 'v1', kind: 'Node', name: this.ctx.nodeName } },
        });
        this.scheduledAt = new Date();
        this.pod = { ...this.pod, spec: { ...this.pod.spec!, nodeName: this.ctx.nodeName } };
        return true;
      } catch (e) {
        // Gone, or bound meanwhile (to us by a previous kubelet, or elsewhere): not ours to run.
        if (isNotFound(e) || isConflict(e)) return false;
        await this.pause(retryDelayMs(attempt));
      }
    }
    return false;
  }

  /** The kubelet's final delete of a terminated pod: grace period 0, only this very pod (uid). */
  private async deleteFinally(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.ctx.api.deleteNamespacedPod({
          name: this.name,
          namespace: this.namespace,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: this.pod.metadata?.uid } },
        });
        return;
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) return;
        await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
      }
    }
  }
}
