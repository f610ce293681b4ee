import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Queryable } from '../shared/sql-query.js';
import { RollingSamples } from './rolling-samples.js';
import { publishWorkerSignals, retractWorkerSignals } from './sql/worker-signals.js';

/** Seconds of history each summary covers. */
export const SIGNAL_WINDOW_SECONDS = 5;
/** How often a summary is written. */
const PUBLISH_EVERY_MS = 1000;
/** After the bulkhead schema was missing or the role may not write to it, how long before trying again. */
const RETRY_UNAVAILABLE_MS = 5000;
/** SQLSTATEs meaning the signals table cannot be written by this role (yet): missing schema, table, privilege. */
const UNAVAILABLE = new Set(['3F000', '42P01', '42501']);

/**
 * The worker's half of merge pacing: every claim and completion statement's duration goes into a rolling window,
 * and every second, on whichever lane's connection is free at that moment (after a completion, or in a long batch's
 * lease heartbeat), one upsert publishes the window's percentiles. No connection of its own, nothing when no
 * bulkhead schema is there: a paced import then simply sees no workers. Best effort: a failed publish is logged
 * and tried again later, and never stops the worker.
 */
export class LatencySignals {
  private readonly claims = new RollingSamples(SIGNAL_WINDOW_SECONDS * 1000);
  private readonly completions = new RollingSamples(SIGNAL_WINDOW_SECONDS * 1000);
  private nextAt = 0;
  private publishing = false;
  private published = false;
  private warned = false;

  constructor(private readonly worker: string, private readonly log: Logger) {}

  claim(ms: number): void {
    this.claims.add(ms, Date.now());
  }

  completion(ms: number): void {
    this.completions.add(ms, Date.now());
  }

  /** Publishes the summary if one is due and no other lane is publishing it. */
  async publishIfDue(connection: Queryable): Promise<void> {
    const now = Date.now();
    if (now < this.nextAt || this.publishing) return;
    this.publishing = true;
    this.nextAt = now + PUBLISH_EVERY_MS;
    try {
      await connection.query(publishWorkerSignals(this.worker, SIGNAL_WINDOW_SECONDS, this.claims.summary(now), this.completions.summary(now)));
      this.published = true;
    } catch (err) {
      this.unavailable(err);
    } finally {
      this.publishing = false;
    }
  }

  /** Deletes this process's row, if it wrote one. */
  async retract(connection: Queryable): Promise<void> {
    if (!this.published) return;
    await connection.query(retractWorkerSignals(this.worker)).catch((err: unknown) => this.unavailable(err));
  }

  private unavailable(err: unknown): void {
    const code = (err as { code?: string }).code;
    if (code !== undefined && UNAVAILABLE.has(code)) this.nextAt = Date.now() + RETRY_UNAVAILABLE_MS;
    if (this.warned) return;
    this.warned = true;
    this.log.info({ event: 'signals-unavailable', err: describeError(err) },
      'cannot publish latency signals for merge pacing (the bulkhead schema is missing, or this role may not write bulkhead.worker_signals); trying again every 5 s');
  }
}
