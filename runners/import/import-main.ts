import { createLogger } from '../shared/logger.js';
import { serveMetrics } from '../shared/metrics-server.js';
import { listenForStop } from '../shared/stop-signals.js';
import { describeError, exitCodeOf } from '../shared/errors.js';
import { buildImportConfig, type ImportFlags } from './import-command.js';
import { ImportMetrics } from './import-metrics.js';
import { runImport } from './run-import.js';
import { emptySummary, writeSummary } from './summary.js';

/** `bulkhead import`: runs one import and returns the process exit code. */
export async function importMain(flags: ImportFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const log = createLogger('import');
  const { config, source } = buildImportConfig(flags, env);
  const stop = listenForStop(20_000);
  const metrics = new ImportMetrics();
  const server = config.metricsPort === undefined ? undefined : await serveMetrics(metrics.registry, config.metricsPort);
  const summary = emptySummary(config.spec.merge.strategy);
  log.info({ event: 'start', import: `${config.namespace}/${config.name}`, source: config.sourceLabel, table: config.spec.target.table },
    `importing ${config.sourceLabel} into ${config.spec.target.table}`);
  let code = 0;
  try {
    await runImport({ config, source, log, metrics, stop: stop.signal, stopSignal: stop.received }, summary);
  } catch (err) {
    code = exitCodeOf(err);
    process.stderr.write(`bulkhead import: ${describeError(err)}\n`);
  } finally {
    writeSummary(summary, config.summaryFile);
    server?.close();
    stop.dispose();
  }
  return code;
}
