import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { InvalidInputError, StoppedError } from '../shared/errors.js';
import { parseTableName } from '../shared/ident.js';
import type { Logger } from '../shared/logger.js';
import type { WorkerConfig } from './worker-config.js';
import type { WorkerMetrics } from './worker-metrics.js';
import { QueueConnection, isConnectionLoss } from './queue-connection.js';
import { checkQueueTable, queueShape, readQueueTable, type QueueShape } from './queue-table.js';
import { createProcessor, processorConcurrency, type ClaimedRow, type Processor } from './processors/processor.js';
import { claimBatch } from './sql/claim-batch.js';
import { finishBatch, type Outcome } from './sql/finish-batch.js';
import { reclaimExpired } from './sql/reclaim-expired.js';
import { releaseClaims } from './sql/release-claims.js';
import { queueActivity } from './sql/queue-activity.js';
import { connect } from '../shared/connection.js';

/** What a worker needs from its surroundings. */
export interface WorkerContext {
  config: WorkerConfig;
  log: Logger;
  metrics: WorkerMetrics;
  stop: AbortSignal;
  stopSignal: () => NodeJS.Signals;
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
  // A connection dropped while starting up is retried like any other: a restarting server is not bad input.
  for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await readAndCheckQueue(config);
    } catch (err) {
      if (!isConnectionLoss(err) || delay >= 5000) throw err;
      log.warn({ event: 'reconnect', delayMs: delay }, `connection lost while checking the queue table; retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}

async function readAndCheckQueue(config: WorkerConfig): Promise<QueueShape> {
  const { queue, processor } = config.spec;
  const name = parseTableName(queue.table);
  const label = `${name.schema}.${name.table}`;
  const client = await connect(config.connection);
  try {
    const table = await readQueueTable(client, name);
    if (!table) throw new InvalidInputError(`spec.queue.table: table ${label} does not exist`);
    const check = checkQueueTable(table, queue, processor.type === 'http');
    if (check.problems.length > 0) throw new InvalidInputError(`queue table ${label} cannot be used:\n  ${check.problems.join('\n  ')}`);
    if (check.ddl.length > 0) {
      throw new InvalidInputError(`queue table ${label} lacks what a worker needs. Run \`bulkhead queue init\` with the same ` +
        `manifest or flags, or this SQL:\n${check.ddl.map((d) => `  ${d};`).join('\n')}`);
    }
    return queueShape(table, queue);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs the worker until stopped, or with drain until nothing is pending or in flight. Each of the
 * connectionsPerWorker connections is a lane that claims a batch, processes it (at most processor concurrency rows
 * at once across lanes), and records the outcomes in one statement. On stop, lanes claim no more; work in flight
 * gets graceMs to finish, and whatever is still unfinished goes back to pending with its attempt refunded.
 */
export async function runWorker(ctx: WorkerContext, shape: QueueShape, totals: WorkerTotals): Promise<void> {
  const { config, log, metrics, stop } = ctx;
  const { queue } = config.spec;
  const hardStop = new AbortController();
  const onStop = (): void => {
    log.info({ event: 'stopping', graceMs: config.graceMs }, `stopping: no more claims; ${config.graceMs} ms for work in flight`);
    setTimeout(() => hardStop.abort(), config.graceMs).unref();
  };
  stop.addEventListener('abort', onStop, { once: true });
  const processor = createProcessor(config.spec.processor);
  const limit = pLimit(processorConcurrency(config.spec.processor));
  const inFlight = new Set<string>();
  const lanes = Array.from({ length: config.spec.connectionsPerWorker }, () => new QueueConnection(config.connection, log, stop));
  for (const lane of lanes) {
    lane.onReconnect = async (client) => {
      // A claim whose answer was lost left rows processing under our name that we do not know about.
      const released = await client.query(releaseClaims(shape, queue, config.workerId, [...inFlight]));
      if (released.rowCount) log.warn({ event: 'released-orphans', rows: released.rowCount }, `handed back ${released.rowCount} rows claimed before the connection dropped`);
    };
  }
  const reclaimEveryMs = Math.min(30_000, Math.max(1000, (queue.leaseSeconds * 1000) / 4));
  let nextReclaim = 0;
  const reclaim = async (lane: QueueConnection): Promise<void> => {
    if (Date.now() < nextReclaim) return;
    nextReclaim = Date.now() + reclaimEveryMs;
    const { rows } = await lane.query<{ status: string }>(reclaimExpired(shape, queue));
    if (rows.length > 0) log.warn({ event: 'lease-expired', rows: rows.length }, `${rows.length} rows outlived their ${queue.leaseSeconds}s lease and were handed back`);
  };
  const progress = startProgress(log, config.progressIntervalMs, totals, inFlight);

  let failure: Error | undefined;
  const runLane = async (lane: QueueConnection): Promise<void> => {
    let idleMs = 0;
    while (!stop.aborted && failure === undefined) {
      await reclaim(lane);
      const claimTimer = metrics.claimSeconds.startTimer();
      const { rows } = await lane.query<ClaimedRow>(claimBatch(shape, queue, config.workerId, config.spec.processor.type === 'http'));
      claimTimer();
      if (rows.length === 0) {
        if (config.drain && inFlight.size === 0 && (await drained(lane, shape, config))) return;
        idleMs = Math.min(Math.max(idleMs * 2, 25), config.drain ? 500 : 2000);
        await sleep(idleMs, undefined, { signal: stop }).catch(() => undefined);
        continue;
      }
      idleMs = 0;
      totals.claimed += rows.length;
      const outcomes = await processBatch(rows);
      if (outcomes.length > 0) {
        const updateTimer = metrics.updateSeconds.startTimer();
        const { rows: statuses } = await lane.query<{ status: string }>(finishBatch(shape, queue, config.workerId, outcomes));
        updateTimer();
        recorded(outcomes, statuses.map((r) => r.status));
      }
    }
  };

  const processBatch = async (rows: ClaimedRow[]): Promise<Outcome[]> => {
    rows.forEach((r) => inFlight.add(r.id));
    metrics.inFlight.set(inFlight.size);
    const outcomes = await Promise.all(rows.map((row) => limit(() => safely(processor, row, hardStop.signal))));
    // Rows cut short by the end of the grace period were not really tried: they go back with the attempt refunded.
    return hardStop.signal.aborted ? outcomes.filter((o) => o.kind !== 'retry') : outcomes;
  };

  const recorded = (outcomes: Outcome[], statuses: string[]): void => {
    count(statuses, totals, metrics, queue.statuses);
    outcomes.forEach((o) => inFlight.delete(o.id));
    metrics.inFlight.set(inFlight.size);
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
    if (stop.aborted || failure !== undefined) {
      // Claims not finished (cut short, or a finish that never got through) go back to pending now, not after the lease.
      await lanes[0]?.query(releaseClaims(shape, queue, config.workerId, [])).catch((err: Error) =>
        log.warn({ event: 'release-failed', err: err.message }, 'could not hand back unfinished claims; their lease will'));
    }
    await Promise.all(lanes.map((l) => l.close()));
    progress.report();
  }
  if (stop.aborted) throw new StoppedError(ctx.stopSignal());
}

async function safely(processor: Processor, row: ClaimedRow, signal: AbortSignal): Promise<Outcome> {
  try {
    return await processor(row, signal);
  } catch (err) {
    return { id: row.id, kind: 'retry', error: `processor error: ${(err as Error).message}`, result: null };
  }
}

/** With --drain: true once no row is pending or processing anywhere (expired leases are reclaimed meanwhile). */
async function drained(lane: QueueConnection, shape: QueueShape, config: WorkerConfig): Promise<boolean> {
  const { rows } = await lane.query<{ pending: boolean; processing: boolean }>(queueActivity(shape, config.spec.queue));
  return rows[0]?.pending === false && rows[0]?.processing === false;
}

function count(statuses: string[], totals: WorkerTotals, metrics: WorkerMetrics, names: { completed: string; failed: string }): void {
  for (const s of statuses) {
    const result = s === names.completed ? 'completed' : s === names.failed ? 'failed' : 'retried';
    totals[result]++;
    metrics.items.inc({ result });
  }
}

function startProgress(log: Logger, intervalMs: number, totals: WorkerTotals, inFlight: Set<string>): { stop: () => void; report: () => void } {
  let last = { at: performance.now(), done: 0 };
  const report = (): void => {
    const done = totals.completed + totals.failed + totals.retried;
    const now = performance.now();
    const itemsPerSecond = Math.round(((done - last.done) * 1000) / Math.max(1, now - last.at));
    last = { at: now, done };
    log.info({ event: 'progress', ...totals, inFlight: inFlight.size, itemsPerSecond },
      `${totals.completed} completed, ${totals.failed} failed, ${totals.retried} retried, ${inFlight.size} in flight, ${itemsPerSecond} items/s`);
  };
  const timer = setInterval(report, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), report };
}
