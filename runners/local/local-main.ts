import { redactUrl } from '../shared/connection.js';
import { createLogger } from '../shared/logger.js';
import { describeError, exitCodeOf } from '../shared/errors.js';
import { listenForStop } from '../shared/stop-signals.js';
import { buildLocalConfig, type LocalFlags } from './local-command.js';
import { openLocalDatabase } from './local-database.js';
import { createDisplay } from './progress-display.js';
import { buildReport } from './report-data.js';
import { writeReport } from './report-writer.js';
import { runLocal } from './run-local.js';
import { loadScenario } from './scenario.js';
import { timelinePlans } from './timeline-plans.js';

/**
 * `bulkhead local`: validates the manifests, opens a server, runs the timeline, writes the report, and returns
 * the exit code: 0 when the run went to the end, 130/143 when stopped (the report is written all the same),
 * 1 when a runner failed, 2 for bad input.
 */
export async function localMain(paths: string[], flags: LocalFlags, argv: string[]): Promise<number> {
  const log = createLogger('local');
  const config = buildLocalConfig(paths, flags);
  const scenario = loadScenario(config.paths);
  const plans = timelinePlans(config, scenario.imports[0]);
  const display = createDisplay(config.interactive);
  const say = (line: string): void => display.note(line);
  // A first Ctrl-C stops the run and still writes the report; a second one, or a minute later, exits at once.
  const stop = listenForStop(60_000);
  const database = await openLocalDatabase(config.databaseUrl, config.maxConnections, say);
  try {
    const runs = await runLocal({ config, scenario, databaseUrl: database.url, stop: stop.signal, display }, plans);
    display.stop();
    const server = { embedded: database.embedded, url: redactUrl(database.url), maxConnections: runs[0]?.budget?.capacity.maxConnections };
    const files = await writeReport(config.reportDir, buildReport(runs, server, `bulkhead local ${redactArgs(argv).join(' ')}`));
    process.stdout.write(`report: ${files.join(', ')}\n`);
    const failure = runs.find((r) => r.failure)?.failure;
    if (failure) {
      log.error({ event: 'failed' }, failure);
      return 1;
    }
    if (runs.some((r) => r.interrupted) || stop.signal.aborted) return stop.received() === 'SIGINT' ? 130 : 143;
    return runs.some((r) => r.import?.exit !== undefined && r.import.exit !== 'exit 0') ? 1 : 0;
  } catch (err) {
    display.stop();
    log.error({ event: 'failed' }, describeError(err));
    return exitCodeOf(err);
  } finally {
    await database.stop();
    stop.dispose();
  }
}

/** The command line for the report, with any URL's password taken out. */
function redactArgs(argv: string[]): string[] {
  return argv.map((a, i) => (argv[i - 1] === '--database-url' ? redactUrl(a) : a.startsWith('--database-url=') ? `--database-url=${redactUrl(a.slice(15))}` : a));
}
