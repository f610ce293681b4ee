import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The worker's metrics (docs/reference/metrics.md is generated from them), on a private registry. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly items = new Counter({
    name: 'bulkhead_worker_items_total',
    help: 'Rows finished by this worker: completed, failed for good, or handed back for a retry.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly claimSeconds = new Histogram({
    name: 'bulkhead_worker_claim_duration_seconds',
    help: 'Time of one claim statement (SELECT ... FOR UPDATE SKIP LOCKED + UPDATE).',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly updateSeconds = new Histogram({
    name: 'bulkhead_worker_update_duration_seconds',
    help: 'Time of one batched completion UPDATE.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'bulkhead_worker_in_flight',
    help: 'Rows claimed by this worker and not yet finished.',
    registers: [this.registry],
  });

  constructor() {
    for (const result of ['completed', 'failed', 'retried']) this.items.inc({ result }, 0);
  }

  /** A quantile of the claim latency in seconds, interpolated within histogram buckets as Prometheus does. */
  async claimQuantile(q: number): Promise<number | undefined> {
    const { values } = await this.claimSeconds.get();
    const buckets = values.filter((v) => v.metricName?.endsWith('_bucket')).map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), n: v.value }));
    const total = buckets.find((b) => b.le === Infinity)?.n ?? 0;
    if (total === 0) return undefined;
    const rank = q * total;
    let lower = { le: 0, n: 0 };
    for (const b of buckets) {
      if (b.n >= rank) return b.le === Infinity ? lower.le : lower.le + ((b.le - lower.le) * (rank - lower.n)) / Math.max(1, b.n - lower.n);
      lower = b;
    }
    return lower.le;
  }
}
