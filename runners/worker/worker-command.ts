import { hostname } from 'node:os';
import type { Command } from 'commander';
import { loadManifest } from '../shared/manifest.js';
import { numberFlag } from '../shared/number-flag.js';
import { validateSpec } from '../shared/spec-schema.js';
import { applicationName } from '../shared/connection.js';
import { declareDatabaseUrlFlags, resolveDatabaseUrl, type DatabaseUrlFlags } from '../shared/database-url.js';
import type { StressRunSpec } from '../shared/generated/stressrun.js';
import type { WorkerConfig } from './worker-config.js';

/** The flags of `bulkhead worker` and `bulkhead queue init`, as commander parses them. */
export interface WorkerFlags extends DatabaseUrlFlags {
  manifest?: string;
  table?: string;
  batchSize?: string;
  processor?: string;
  name?: string;
  metricsPort?: string;
  drain?: boolean;
  progressInterval?: string;
  graceSeconds?: string;
  timingsFile?: string;
}

/** Declares the flags shared by `worker` and `queue init`. */
export function declareQueueFlags(cmd: Command): Command {
  return declareDatabaseUrlFlags(cmd)
    .option('--manifest <file>', 'a StressRun manifest (YAML); its spec is the configuration')
    .option('--table <table>', 'the queue table, optionally schema.table (spec.queue.table)')
    .option('--processor <type>', 'http, sleep or noop (spec.processor.type)')
    .option('--name <name>', 'the StressRun\'s name, for application_name (default: metadata.name, or the table)');
}

/** Declares the flags of `worker` only. */
export function declareWorkerFlags(cmd: Command): Command {
  return declareQueueFlags(cmd)
    .option('--batch-size <n>', 'rows claimed per statement (spec.queue.batchSize)')
    .option('--drain', 'exit 0 once no row is pending and none is in flight')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port')
    .option('--progress-interval <seconds>', 'seconds between progress lines on stderr', '5')
    .option('--grace-seconds <seconds>', 'after SIGTERM, seconds for work in flight before its rows are handed back', '20')
    .option('--timings-file <file>', 'append one JSON line per claim and completion statement (start time, duration, rows) to this file; bulkhead local reads it');
}

/**
 * Overlays the flags on a spec; flags win. A processor without its settings block gets an empty one to default.
 * `processorOptional` (queue init, which processes nothing) takes a spec without a processor as noop: then only
 * the columns every processor needs are checked, not the URL column that http reads.
 */
function applyFlags(spec: Record<string, unknown>, flags: WorkerFlags, processorOptional: boolean): Record<string, unknown> {
  const out = structuredClone(spec) as Record<string, Record<string, unknown> | undefined>;
  const queue = (out.queue = { ...(out.queue ?? {}) });
  const processor = (out.processor = { ...(out.processor ?? {}) });
  if (flags.table !== undefined) queue.table = flags.table;
  const batchSize = numberFlag(flags.batchSize, '--batch-size', { integer: true });
  if (batchSize !== undefined) queue.batchSize = batchSize;
  if (flags.processor !== undefined && flags.processor !== processor.type) {
    processor.type = flags.processor;
    delete processor.http;
    delete processor.sleep;
  }
  if (processorOptional && processor.type === undefined) processor.type = 'noop';
  // The schema defaults the settings of the chosen processor only when its block is present.
  if ((processor.type === 'http' || processor.type === 'sleep') && processor[processor.type] === undefined) processor[processor.type] = {};
  return out;
}

/**
 * Builds the worker's one configuration from manifest or BULKHEAD_SPEC, flags and environment; `processorOptional`
 * for `queue init`, which needs no processor.
 */
export function buildWorkerConfig(flags: WorkerFlags, env: NodeJS.ProcessEnv, { processorOptional = false } = {}): WorkerConfig {
  const manifest = loadManifest('StressRun', flags.manifest, env);
  const raw = applyFlags((manifest.spec ?? {}) as Record<string, unknown>, flags, processorOptional);
  const spec = validateSpec<StressRunSpec>('StressRun', raw, manifest.origin);
  const name = flags.name ?? (manifest.name || spec.queue.table);
  return {
    name,
    namespace: manifest.namespace,
    spec,
    workerId: env.BULKHEAD_POD_NAME || `${hostname()}:${process.pid}`,
    connection: { databaseUrl: resolveDatabaseUrl(flags, env), applicationName: applicationName('worker', manifest.namespace, name) },
    drain: flags.drain === true,
    metricsPort: numberFlag(flags.metricsPort, '--metrics-port', { integer: true }),
    progressIntervalMs: (numberFlag(flags.progressInterval, '--progress-interval', { positive: true }) ?? 5) * 1000,
    graceMs: (numberFlag(flags.graceSeconds, '--grace-seconds', {}) ?? 20) * 1000,
    timingsFile: flags.timingsFile,
  };
}
