import type { Server } from 'node:http';
import { createLogger } from '../shared/logger.js';
import { serveMetrics } from '../shared/metrics-server.js';
import { listenForStop } from '../shared/stop-signals.js';
import { describeError, exitCodeOf } from '../shared/errors.js';
import { buildImportConfig, type ImportFlags } from './import-command.js';
import { ImportMetrics } from './import-metrics.js';
import { runImport } from './run-import.js';
import { emptySummary, writeSummary } from './summary.js';

/**
 * `bulkhead import`: runs one import and returns the process exit code. Every exit path writes the summary with
 * `phase` and, on failure, `error`: a bad spec, a metrics port in use and an unreachable database included.
 */
export async function importMain(flags: ImportFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const log = createLogger('import');
  const stop = listenForStop(20_000);
  const summary = emptySummary();
  let server: Server | undefined;
  let code = 0;
  try {
    const { config, source } = buildImportConfig(flags, env);
    summary.strategy = config.spec.merge.strategy;
    const metrics = new ImportMetrics();
    server = config.metricsPort === undefined ? undefined : await serveMetrics(metrics.registry, config.metricsPort);
    log.info({ event: 'start', import: `${config.namespace}/${config.name}`, source: config.sourceLabel, table: config.spec.target.table },
      `importing ${config.sourceLabel} into ${config.spec.target.table}`);
    await runImport({ config, source, log, metrics, stop: stop.signal, stopSignal: stop.received }, summary);
  } catch (err) {
    code = exitCodeOf(err);
    summary.phase = 'Failed';
    summary.error ??= describeError(err);
    log.error({ event: 'failed' }, describeError(err));
  } finally {
    writeSummary(summary, flags.summaryFile);
    server?.close();
    stop.dispose();
  }
  return code;
}
