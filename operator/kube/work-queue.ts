import { performance } from 'node:perf_hooks';

/**
 * A per-object work queue, in the manner of client-go's: a key is never handled by two workers at once, a key
 * added while it is being handled is handled once more afterwards, failures are retried with per-key
 * exponential backoff, and `addAfter` schedules a later look (used for resyncs and timers). It also tells how long
 * it has had work without finishing any (stalledForMs), for the liveness probe.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private stopped = false;
  private running = false;
  /** When a handler last finished, or the queue last went from idle to busy (performance.now() ms). */
  private progressAt = performance.now();

  constructor(private readonly backoff = { baseMs: 250, maxMs: 60_000 }) {}

  /** Queues a key now. */
  add(key: string): void {
    if (this.stopped) return;
    if (this.idle()) this.progressAt = performance.now();
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.queued.add(key);
    this.waiters.shift()?.();
  }

  /** Queues a key after a delay; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) return;
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs).unref());
  }

  /** Queues a key again after its failure backoff, which doubles with each consecutive failure. */
  retry(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** (n - 1));
    this.addAfter(key, delay);
    return delay;
  }

  /** Forgets a key's failures after it was handled cleanly. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Runs `handle` for queued keys with up to `concurrency` at a time, until stop(). */
  async run(concurrency: number, handle: (key: string) => Promise<void>): Promise<void> {
    this.running = true;
    this.progressAt = performance.now();
    const worker = async (): Promise<void> => {
      while (!this.stopped) {
        const key = this.next();
        if (key === undefined) {
          await new Promise<void>((resolve) => this.waiters.push(resolve));
          continue;
        }
        this.active.add(key);
        try {
          await handle(key);
        } finally {
          this.progressAt = performance.now();
          this.active.delete(key);
          if (this.dirty.delete(key)) this.add(key);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Stops the workers after their current keys, and drops timers. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }

  /**
   * How long the queue has had keys waiting or in hand without finishing any, in ms: 0 while it is idle, and
   * before run() (keys queued by the watches before the caches synced wait for the reconciling to start).
   */
  stalledForMs(now = performance.now()): number {
    return this.running && !this.stopped && !this.idle() ? now - this.progressAt : 0;
  }

  private idle(): boolean {
    return this.queued.size === 0 && this.active.size === 0;
  }

  private next(): string | undefined {
    for (const key of this.queued) {
      this.queued.delete(key);
      return key;
    }
    return undefined;
  }
}
