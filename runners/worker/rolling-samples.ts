import { latency, type Latency } from '../shared/latency.js';

/**
 * The durations of the last windowMs, at most `capacity` of them (the oldest go first), in a fixed ring: memory
 * does not grow with the rate. 4096 samples cover 5 s at 800 statements a second per worker process; at a higher
 * rate the summary covers the most recent 4096.
 */
export class RollingSamples {
  private readonly at: Float64Array;
  private readonly ms: Float64Array;
  private next = 0;
  private size = 0;

  constructor(private readonly windowMs: number, capacity = 4096) {
    this.at = new Float64Array(capacity);
    this.ms = new Float64Array(capacity);
  }

  add(durationMs: number, at: number): void {
    this.at[this.next] = at;
    this.ms[this.next] = durationMs;
    this.next = (this.next + 1) % this.at.length;
    this.size = Math.min(this.size + 1, this.at.length);
  }

  /** Percentiles of the samples taken within windowMs before now. */
  summary(now: number): Latency {
    const recent: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const slot = (this.next - 1 - i + this.at.length) % this.at.length;
      if ((this.at[slot] ?? 0) < now - this.windowMs) break;
      recent.push(this.ms[slot] ?? 0);
    }
    return latency(recent);
  }
}
