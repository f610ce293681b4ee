/**
 * Writes one pod's status through the status subresource, like the kubelet's status manager: only the latest
 * status matters, so a write that fails (the API server is restarting, say) is retried with the newest status, and
 * statuses set meanwhile are skipped. A pod that no longer exists (404) ends the writer.
 */
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1PodStatus } from '@kubernetes/client-node';
import { isNotFound, retryDelayMs } from './api-errors.js';

/** The latest-wins status writer of one pod. */
export class StatusWriter {
  private latest: V1PodStatus | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly api: CoreV1Api,
    private readonly namespace: string,
    private readonly name: string,
    private readonly onError: (message: string) => void,
  ) {}

  /** Queues status as the pod's status; resolves once it (or a later one) is written, or the writer closed. */
  write(status: V1PodStatus): Promise<void> {
    this.latest = status;
    this.writing ??= this.drain().finally(() => (this.writing = undefined));
    return this.writing;
  }

  /** Stops retrying; pending statuses are dropped. */
  close(): void {
    this.closed = true;
  }

  private async drain(): Promise<void> {
    let attempt = 0;
    while (this.latest && !this.closed) {
      const status = this.latest;
      try {
        // A JSON merge patch replaces lists whole, so conditions and containerStatuses are exactly what we send.
        await this.api.patchNamespacedPodStatus({ name: this.name, namespace: this.namespace, body: { status } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        if (this.latest === status) this.latest = undefined;
        attempt = 0;
      } catch (e) {
        if (isNotFound(e)) return;
        if (attempt === 3) this.onError(`status of pod ${this.namespace}/${this.name} not written yet, retrying: ${String(e)}`);
        await new Promise((r) => setTimeout(r, retryDelayMs(attempt++)));
      }
    }
  }
}
