import { performance } from 'node:perf_hooks';
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../../runners/shared/logger.js';
import type { LeaseTiming } from '../operator-config.js';
import { describeApiError, httpStatus, unlessNotFound } from './api-errors.js';
import { timeoutOptions } from './request-timeout.js';

/** Where the Lease lives, who this candidate is, and how long a Lease holds (see LeaseTiming). */
export interface LeaseSettings extends LeaseTiming {
  namespace: string;
  name: string;
  identity: string;
}

/** The outcome of one read-and-write of the Lease. */
type Attempt = 'leading' | 'held-by-another' | 'failed';

/**
 * Leader election on a coordination.k8s.io Lease, with client-go's semantics (tools/leaderelection):
 *
 * - A candidate takes the Lease when it is absent or released, or when its record (its resourceVersion) has not
 *   changed for leaseSeconds *as measured on this process's own monotonic clock* since it first saw that record.
 *   The renewTime written in the Lease is for people; comparing it with the local clock would trust clock sync.
 * - The leader renews every retrySeconds. It counts its lease from the moment it *sent* its last successful
 *   renewal, which precedes the moment any standby can see that renewal; a standby waits leaseSeconds from then,
 *   the leader only renewDeadlineSeconds (< leaseSeconds). So a leader that cannot renew gives up strictly before
 *   any standby may take over, with leaseSeconds − renewDeadlineSeconds to spare.
 * - Giving up is a timer, not the outcome of a request: a leader whose API calls hang still loses at its deadline.
 *   Each read and write is also aborted when it outlives its share of the deadline, so one silent connection does
 *   not use up every retry. A leader that reads another holder in the Lease has lost it, at once.
 *
 * Losing the Lease calls onLost, which must stop all reconciling immediately (the operator exits, and its pod
 * comes back as a standby). release() gives the Lease up at shutdown, so a standby takes over at its next retry
 * instead of waiting out the lease.
 */
export class LeaderElection {
  private lease: V1Lease | undefined;
  private stopped = false;
  private leading = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** The last Lease record seen (its resourceVersion) and when it was first seen, in performance.now() ms. */
  private observed: { version: string | undefined; at: number } | undefined;
  /** Why the last read or write of the Lease failed; undefined once one succeeded. For a standby's /readyz. */
  problem: string | undefined = 'the leader Lease has not been read yet';

  constructor(private readonly api: CoordinationV1Api, private readonly settings: LeaseSettings, private readonly log: Logger) {}

  /** Resolves once this candidate leads; then keeps renewing until stop() or loss. */
  async acquire(onLost: () => void): Promise<void> {
    const { retrySeconds, renewDeadlineSeconds } = this.settings;
    let sent: number;
    for (;;) {
      if (this.stopped) throw new Error('stopped before becoming leader');
      sent = performance.now();
      if ((await this.tryTake(renewDeadlineSeconds * 1000)) === 'leading') break;
      await sleep(retrySeconds * 1000);
    }
    this.leading = true;
    this.log.info({ event: 'leader', lease: `${this.settings.namespace}/${this.settings.name}`, identity: this.settings.identity }, 'became the leader');
    const lose = (why: string): void => {
      if (this.stopped) return;
      this.stopped = true;
      clearTimeout(this.retryTimer);
      clearTimeout(this.deadlineTimer);
      this.log.error({ event: 'leader-lost', reason: why }, `lost the leader Lease: ${why}; stopping`);
      onLost();
    };
    // The deadline runs from when the last successful write was sent, and fires whatever the requests in flight do.
    let lastRenew = sent;
    const renewedAt = (at: number): void => {
      lastRenew = at;
      clearTimeout(this.deadlineTimer);
      const left = at + renewDeadlineSeconds * 1000 - performance.now();
      this.deadlineTimer = setTimeout(() => lose(`not renewed within ${renewDeadlineSeconds}s`), Math.max(0, left));
    };
    renewedAt(sent);
    const renew = async (): Promise<void> => {
      if (this.stopped) return;
      const attemptSent = performance.now();
      // At most half the deadline per attempt, so that a hung connection leaves room for a retry on a new one.
      const budget = Math.min(lastRenew + renewDeadlineSeconds * 1000 - attemptSent, (renewDeadlineSeconds * 1000) / 2);
      const outcome = budget > 0 ? await this.tryTake(budget) : 'failed';
      if (this.stopped) return;
      if (outcome === 'held-by-another') return lose('another replica holds it');
      if (outcome === 'leading') renewedAt(attemptSent);
      this.retryTimer = setTimeout(() => void renew(), retrySeconds * 1000);
    };
    this.retryTimer = setTimeout(() => void renew(), retrySeconds * 1000);
  }

  /** Stops renewing and, when leading, releases the Lease. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.deadlineTimer);
    const lease = this.lease;
    if (lease?.spec?.holderIdentity !== this.settings.identity) return;
    try {
      await this.api.replaceNamespacedLease({
        namespace: this.settings.namespace,
        name: this.settings.name,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined } },
      }, timeoutOptions(this.settings.retrySeconds * 1000));
    } catch (err) {
      this.log.warn({ event: 'lease-release-failed', err: describeApiError(err) }, 'could not release the Lease');
    }
  }

  /** Creates, takes over or renews the Lease, every request aborted after timeoutMs. */
  private async tryTake(timeoutMs: number): Promise<Attempt> {
    const { namespace, name, identity, leaseSeconds } = this.settings;
    const options = timeoutOptions(timeoutMs);
    const now = new V1MicroTime();
    const spec = { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, renewTime: now };
    try {
      const existing = await unlessNotFound(this.api.readNamespacedLease({ namespace, name }, options));
      this.problem = undefined;
      if (!existing) {
        this.lease = await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: now, leaseTransitions: 0 } } }, options);
        return 'leading';
      }
      const held = existing.spec?.holderIdentity;
      // A leader that finds another holder has lost the Lease, however stale that holder's record looks.
      if (held && held !== identity && (this.leading || !this.expired(existing))) return 'held-by-another';
      const transitions = (existing.spec?.leaseTransitions ?? 0) + (held === identity ? 0 : 1);
      this.lease = await this.api.replaceNamespacedLease({
        namespace,
        name,
        body: { ...existing, spec: { ...existing.spec, ...spec, acquireTime: held === identity ? existing.spec?.acquireTime : now, leaseTransitions: transitions } },
      }, options);
      return 'leading';
    } catch (err) {
      // A 409 is another candidate's write between our read and write: not ours this time, and not yet known whose.
      const why = (err as Error | undefined)?.name === 'AbortError' ? `no answer within ${Math.round(timeoutMs)} ms` : describeApiError(err);
      if (httpStatus(err) !== 409) {
        this.problem = `could not read or write the leader Lease ${namespace}/${name}: ${why}`;
        this.log.warn({ event: 'lease-error', err: why }, 'could not read or write the leader Lease');
      }
      return 'failed';
    }
  }

  /** Whether another holder's record has stood unchanged for its lease duration, by this process's clock. */
  private expired(existing: V1Lease): boolean {
    const version = existing.metadata?.resourceVersion;
    const now = performance.now();
    const seen = this.observed && this.observed.version === version ? this.observed : { version, at: now };
    this.observed = seen;
    return now - seen.at > (existing.spec?.leaseDurationSeconds ?? this.settings.leaseSeconds) * 1000;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
