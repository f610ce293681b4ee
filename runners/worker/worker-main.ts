import { createLogger } from '../shared/logger.js';
import { serveMetrics } from '../shared/metrics-server.js';
import { listenForStop } from '../shared/stop-signals.js';
import { describeError, exitCodeOf } from '../shared/errors.js';
import { buildWorkerConfig, type WorkerFlags } from './worker-command.js';
import { WorkerMetrics } from './worker-metrics.js';
import { StatementTimings } from './statement-timings.js';
import { loadQueueShape, runWorker, type WorkerTotals } from './run-worker.js';

/** `bulkhead worker`: runs one queue worker and returns the process exit code. */
export async function workerMain(flags: WorkerFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const log = createLogger('worker');
  const config = buildWorkerConfig(flags, env);
  // Kubernetes sends SIGKILL 30 s after SIGTERM; the grace period plus the hand-back must fit well inside that.
  const stop = listenForStop(config.graceMs + 8000);
  const metrics = new WorkerMetrics();
  const totals: WorkerTotals = { completed: 0, failed: 0, retried: 0, claimed: 0 };
  let server;
  const timings = config.timingsFile === undefined ? undefined : new StatementTimings(config.timingsFile);
  try {
    server = config.metricsPort === undefined ? undefined : await serveMetrics(metrics.registry, config.metricsPort);
    const shape = await loadQueueShape(config, log);
    log.info({ event: 'start', worker: config.workerId, table: config.spec.queue.table, processor: config.spec.processor.type, drain: config.drain },
      `worker ${config.workerId} on ${config.spec.queue.table}`);
    await runWorker({ config, log, metrics, stop: stop.signal, stopSignal: stop.received, timings }, shape, totals);
    const [p50, p99] = [await metrics.claimQuantile(0.5), await metrics.claimQuantile(0.99)];
    log.info({ event: 'done', ...totals, claimSecondsP50: p50, claimSecondsP99: p99 }, 'queue drained');
    return 0;
  } catch (err) {
    log.error({ event: 'failed' }, describeError(err));
    return exitCodeOf(err);
  } finally {
    server?.close();
    timings?.close();
    stop.dispose();
  }
}
