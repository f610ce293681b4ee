import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../../runners/shared/logger.js';
import { describeApiError, httpStatus, unlessNotFound } from './api-errors.js';

/** Where the Lease lives and how long a leader holds it without renewing. */
export interface LeaseSettings {
  namespace: string;
  name: string;
  identity: string;
  leaseSeconds: number;
  renewSeconds: number;
  retrySeconds: number;
}

/**
 * Leader election on a coordination.k8s.io Lease, with optimistic concurrency on its resourceVersion: a
 * candidate takes the Lease when it is free, released, or not renewed within leaseDurationSeconds; the leader
 * renews it every renewSeconds. Losing it (a failed renewal past the lease time) calls onLost, and the
 * operator exits so that nothing reconciles without the Lease. release() gives it up at shutdown, so a standby
 * takes over at its next retry instead of waiting out the lease.
 */
export class LeaderElection {
  private lease: V1Lease | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly api: CoordinationV1Api, private readonly settings: LeaseSettings, private readonly log: Logger) {}

  /** Resolves once this candidate leads; then keeps renewing until stop() or loss. */
  async acquire(onLost: () => void): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('stopped before becoming leader');
      if (await this.tryTake()) break;
      await sleep(this.settings.retrySeconds * 1000);
    }
    this.log.info({ event: 'leader', lease: `${this.settings.namespace}/${this.settings.name}`, identity: this.settings.identity }, 'became the leader');
    let lastRenew = Date.now();
    const renew = async (): Promise<void> => {
      if (this.stopped) return;
      if (await this.tryTake().catch(() => false)) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.settings.leaseSeconds * 1000) {
        this.log.error({ event: 'leader-lost' }, 'lost the leader Lease');
        onLost();
        return;
      }
      this.timer = setTimeout(() => void renew(), this.settings.renewSeconds * 1000);
    };
    this.timer = setTimeout(() => void renew(), this.settings.renewSeconds * 1000);
  }

  /** Stops renewing and, when leading, releases the Lease. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const lease = this.lease;
    if (lease?.spec?.holderIdentity !== this.settings.identity) return;
    try {
      await this.api.replaceNamespacedLease({
        namespace: this.settings.namespace,
        name: this.settings.name,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined } },
      });
    } catch (err) {
      this.log.warn({ event: 'lease-release-failed', err: describeApiError(err) }, 'could not release the Lease');
    }
  }

  /** Creates, takes over or renews the Lease; false when another holder's lease is still valid or we lost a race. */
  private async tryTake(): Promise<boolean> {
    const { namespace, name, identity, leaseSeconds } = this.settings;
    const now = new V1MicroTime();
    const spec = { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, renewTime: now };
    try {
      const existing = await unlessNotFound(this.api.readNamespacedLease({ namespace, name }));
      if (!existing) {
        this.lease = await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: spec.renewTime, leaseTransitions: 0 } } });
        return true;
      }
      const held = existing.spec?.holderIdentity;
      const renewed = existing.spec?.renewTime ? new Date(existing.spec.renewTime).getTime() : 0;
      const expired = renewed + (existing.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000 < now.getTime();
      if (held && held !== identity && !expired) return false;
      const transitions = (existing.spec?.leaseTransitions ?? 0) + (held === identity ? 0 : 1);
      this.lease = await this.api.replaceNamespacedLease({
        namespace,
        name,
        body: { ...existing, spec: { ...existing.spec, ...spec, acquireTime: held === identity ? existing.spec?.acquireTime : spec.renewTime, leaseTransitions: transitions } },
      });
      return true;
    } catch (err) {
      if (httpStatus(err) === 409) return false;
      this.log.warn({ event: 'lease-error', err: describeApiError(err) }, 'could not read or write the leader Lease');
      return false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
