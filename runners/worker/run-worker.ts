import { describeError, InvalidInputError, StoppedError } from '../shared/errors.js';
import { sleepUnlessStopped } from '../shared/stoppable-sleep.js';
import type { Logger } from '../shared/logger.js';
import type { WorkerConfig } from './worker-config.js';
import type { WorkerMetrics } from './worker-metrics.js';
import type { FinishedCounts, StatementTimings } from './statement-timings.js';
import { QueueConnection } from './queue-connection.js';
import { heartbeatEveryMs, startHeartbeat } from './lease-heartbeat.js';
import { inspectQueue, queueShape, type QueueShape } from './queue-table.js';
import { createProcessor, processorLimit, type ClaimedRow, type Processor } from './processors/processor.js';
import { claimBatch } from './sql/claim-batch.js';
import { finishBatch, type Outcome } from './sql/finish-batch.js';
import { reclaimExpired } from './sql/reclaim-expired.js';
import { releaseClaims } from './sql/release-claims.js';
import { renewLeases } from './sql/renew-leases.js';
import { queueActivity } from './sql/queue-activity.js';
import { countNoun } from '../shared/count-noun.js';
import { LatencySignals } from './latency-signals.js';

/** What a worker needs from its surroundings. */
export interface WorkerContext {
  config: WorkerConfig;
  log: Logger;
  metrics: WorkerMetrics;
  stop: AbortSignal;
  stopSignal: () => NodeJS.Signals;
  /** With --timings-file: where each claim and completion statement is recorded. */
  timings?: StatementTimings | undefined;
}

/** Running totals, for progress lines and tests. */
export interface WorkerTotals {
  completed: number;
  failed: number;
  retried: number;
  claimed: number;
}

/**
 * Resolves the queue table and checks it. Anything missing is bad input (exit 2) with the exact DDL that
 * `bulkhead queue init` would run.
 */
export async function loadQueueShape(config: WorkerConfig, log: Logger): Promise<QueueShape> {
  // A connection dropped while starting up is retried like any other (a restarting server is not bad input),
  // through the same reconnecting connection the lanes use, for up to 10 s.
  const connection = new QueueConnection(config.connection, log, AbortSignal.timeout(10_000));
  try {
    const { label, table, check } = await inspectQueue(connection, config.spec);
    if (check.ddl.length > 0) {
      throw new InvalidInputError(`queue table ${label} lacks what a worker needs. Run \`bulkhead queue init\` with the same ` +
        `manifest or flags, or this SQL:\n${check.ddl.map((d) => `  ${d};`).join('\n')}`);
    }
    return queueShape(table, config.spec.queue);
  } finally {
    await connection.close();
  }
}

/**
 * Runs the worker until stopped, or with drain until nothing is pending or in flight. Each of the
 * connectionsPerWorker connections is a lane that claims a batch, processes it (at most processor concurrency rows
 * at once across lanes), and records the outcomes in one statement; while the batch runs, the lane renews its lease
 * on that same connection. On stop, lanes claim no more; work in flight
 * gets graceMs to finish, and whatever is still unfinished goes back to pending with its attempt refunded.
 */
export async function runWorker(ctx: WorkerContext, shape: QueueShape, totals: WorkerTotals): Promise<void> {
  const { config, log, metrics, stop } = ctx;
  const { queue } = config.spec;
  // hardStop ends the grace period (processors abort); giveUp a little later ends reconnect attempts, so the
  // last completions and the hand-back still get through a connection that drops during shutdown.
  const hardStop = new AbortController();
  const giveUp = new AbortController();
  const onStop = (): void => {
    log.info({ event: 'stopping', graceMs: config.graceMs }, `stopping: no more claims; ${config.graceMs} ms for work in flight`);
    setTimeout(() => hardStop.abort(), config.graceMs).unref();
    setTimeout(() => giveUp.abort(), config.graceMs + 5000).unref();
  };
  stop.addEventListener('abort', onStop, { once: true });
  const processor = createProcessor(config.spec.processor);
  const limit = processorLimit(config.spec.processor);
  // Each lane claims under its own owner, so a lane that reconnects hands back only its own lost claims.
  const lanes: Lane[] = Array.from({ length: config.spec.connectionsPerWorker }, (_, i) => ({
    owner: config.spec.connectionsPerWorker > 1 ? `${config.workerId}/${i}` : config.workerId,
    connection: new QueueConnection(config.connection, log, giveUp.signal),
    inFlight: new Set<string>(),
  }));
  const owners = lanes.map((l) => l.owner);
  const inFlightTotal = (): number => lanes.reduce((n, l) => n + l.inFlight.size, 0);
  for (const lane of lanes) {
    lane.connection.onReconnect = async (client) => {
      // A claim whose answer was lost left rows processing under this lane's name that it does not know about.
      const released = await client.query(releaseClaims(shape, queue, [lane.owner], [...lane.inFlight]));
      if (released.rowCount) log.warn({ event: 'released-orphans', rows: released.rowCount }, `handed back ${countNoun(released.rowCount, 'row')} claimed before the connection dropped`);
    };
  }
  const reclaimEveryMs = Math.min(30_000, Math.max(1000, (queue.leaseSeconds * 1000) / 4));
  let nextReclaim = 0;
  const reclaim = async (lane: Lane): Promise<void> => {
    if (Date.now() < nextReclaim) return;
    nextReclaim = Date.now() + reclaimEveryMs;
    const { rows } = await lane.connection.query<{ status: string }>(reclaimExpired(shape, queue));
    if (rows.length > 0) log.warn({ event: 'lease-expired', rows: rows.length }, `${countNoun(rows.length, 'row')} outlived their ${queue.leaseSeconds}s lease and were handed back`);
  };
  const progress = startProgress(log, config.progressIntervalMs, totals, inFlightTotal);
  const signals = new LatencySignals(config.workerId, log);

  let failure: Error | undefined;
  const runLane = async (lane: Lane): Promise<void> => {
    let idleMs = 0;
    const claim = claimBatch(shape, queue, lane.owner, config.spec.processor.type === 'http');
    while (!stop.aborted && failure === undefined) {
      await reclaim(lane);
      const claimStart = Date.now();
      const claimTimer = metrics.claimSeconds.startTimer();
      const { rows } = await lane.connection.query<ClaimedRow>(claim);
      // Timed outside the optional call: `timings?.claim(.., claimTimer(), ..)` skipped the histogram without --timings-file.
      const claimSeconds = claimTimer();
      ctx.timings?.claim(claimStart, claimSeconds, rows.length);
      signals.claim(claimSeconds * 1000);
      if (rows.length === 0) {
        if (config.drain && inFlightTotal() === 0 && (await drained(lane.connection, shape, config))) return;
        idleMs = Math.min(Math.max(idleMs * 2, 25), config.drain ? 500 : 2000);
        await sleepUnlessStopped(idleMs, stop);
        continue;
      }
      idleMs = 0;
      totals.claimed += rows.length;
      const outcomes = await processBatch(lane, rows);
      if (outcomes.length > 0) {
        const updateStart = Date.now();
        const updateTimer = metrics.updateSeconds.startTimer();
        const { rows: statuses } = await lane.connection.query<{ status: string }>(finishBatch(shape, queue, lane.owner, outcomes));
        const updateSeconds = updateTimer();
        const counts = count(statuses.map((r) => r.status), totals, metrics, queue.statuses);
        ctx.timings?.update(updateStart, updateSeconds, counts);
        signals.completion(updateSeconds * 1000);
        outcomes.forEach((o) => lane.inFlight.delete(o.id));
        metrics.inFlight.set(inFlightTotal());
      }
      await signals.publishIfDue(lane.connection);
    }
  };

  const processBatch = async (lane: Lane, rows: ClaimedRow[]): Promise<Outcome[]> => {
    rows.forEach((r) => lane.inFlight.add(r.id));
    metrics.inFlight.set(inFlightTotal());
    // The lane's connection is idle while the processor runs, so it renews the batch's lease meanwhile: a batch
    // that takes longer than leaseSeconds is not reclaimed by another worker while it is still being worked on.
    // The latency signals ride along, so a worker whose batches are long still publishes them.
    const heartbeat = startHeartbeat(heartbeatEveryMs(queue.leaseSeconds), () =>
      lane.connection.query(renewLeases(shape, queue, [lane.owner])).then(() => signals.publishIfDue(lane.connection), (err: unknown) =>
        log.warn({ event: 'renew-failed', err: describeError(err) }, 'could not renew the lease of the batch in flight')));
    const done = await Promise.all(rows.map((row) => limit(() => safely(processor, row, hardStop.signal)))).finally(heartbeat.stop);
    // Rows cut short by the end of the grace period were not really tried: they are not recorded, and the
    // hand-back below refunds their attempt. A real retry that finished earlier is recorded and charged.
    return done.filter((d) => !d.cutShort).map((d) => d.outcome);
  };

  try {
    // One lane failing (not a dropped connection: those are retried) stops the others after their batch.
    await Promise.all(lanes.map((lane) => runLane(lane).catch((err: unknown) => {
      failure ??= err instanceof Error ? err : new Error(String(err));
    })));
    if (failure !== undefined) throw failure;
  } finally {
    progress.stop();
    stop.removeEventListener('abort', onStop);
    // On a clean stop, claims not finished go back to pending now, attempt refunded, not after the lease. After a
    // failure they are left to the lease, which charges the attempt: a row whose completion keeps failing must
    // not be retried for free forever.
    if (stop.aborted && failure === undefined) {
      await lanes[0]?.connection.query(releaseClaims(shape, queue, owners, [])).catch((err: Error) =>
        log.warn({ event: 'release-failed', err: err.message }, 'could not hand back unfinished claims; their lease will'));
    }
    if (lanes[0]) await signals.retract(lanes[0].connection);
    await Promise.all(lanes.map((l) => l.connection.close()));
    progress.report();
  }
  if (stop.aborted) throw new StoppedError(ctx.stopSignal());
}

/** One lane: a connection, the owner name its claims carry, and the rows it holds. */
interface Lane {
  owner: string;
  connection: QueueConnection;
  inFlight: Set<string>;
}

/** Runs the processor; a throw becomes a retry. cutShort marks a retry caused by the end of the grace period. */
async function safely(processor: Processor, row: ClaimedRow, signal: AbortSignal): Promise<{ outcome: Outcome; cutShort: boolean }> {
  let outcome: Outcome;
  try {
    outcome = await processor(row, signal);
  } catch (err) {
    outcome = { id: row.id, kind: 'retry', error: `processor error: ${(err as Error).message}`, result: null };
  }
  return { outcome, cutShort: signal.aborted && outcome.kind === 'retry' };
}

/** With --drain: true once no row is pending or processing anywhere (expired leases are reclaimed meanwhile). */
async function drained(lane: QueueConnection, shape: QueueShape, config: WorkerConfig): Promise<boolean> {
  const { rows } = await lane.query<{ pending: boolean; processing: boolean }>(queueActivity(shape, config.spec.queue));
  return rows[0]?.pending === false && rows[0]?.processing === false;
}

function count(statuses: string[], totals: WorkerTotals, metrics: WorkerMetrics, names: { completed: string; failed: string }): FinishedCounts {
  const counts: FinishedCounts = { completed: 0, failed: 0, retried: 0 };
  for (const s of statuses) counts[s === names.completed ? 'completed' : s === names.failed ? 'failed' : 'retried']++;
  // One increment per result, not per row: a labelled inc() hashes its labels each time.
  for (const result of ['completed', 'failed', 'retried'] as const) {
    totals[result] += counts[result];
    if (counts[result] > 0) metrics.items.inc({ result }, counts[result]);
  }
  return counts;
}

function startProgress(log: Logger, intervalMs: number, totals: WorkerTotals, inFlight: () => number): { stop: () => void; report: () => void } {
  let last = { at: performance.now(), done: 0 };
  const report = (): void => {
    const done = totals.completed + totals.failed + totals.retried;
    const now = performance.now();
    const itemsPerSecond = Math.round(((done - last.done) * 1000) / Math.max(1, now - last.at));
    last = { at: now, done };
    log.info({ event: 'progress', ...totals, inFlight: inFlight(), itemsPerSecond },
      `${totals.completed} completed, ${totals.failed} failed, ${totals.retried} retried, ${inFlight()} in flight, ${itemsPerSecond} items/s`);
  };
  const timer = setInterval(report, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), report };
}
