import type { Command } from 'commander';
import { InvalidInputError } from '../shared/errors.js';
import { loadManifest } from '../shared/manifest.js';
import { numberFlag } from '../shared/number-flag.js';
import { validateSpec } from '../shared/spec-schema.js';
import { applicationName } from '../shared/connection.js';
import { declareDatabaseUrlFlags, resolveDatabaseUrl, type DatabaseUrlFlags } from '../shared/database-url.js';
import type { CsvImportSpec } from '../shared/generated/csvimport.js';
import { SOURCE_MOUNT_DIR } from '../shared/source-mount.js';
import type { ImportConfig } from './import-config.js';
import { DEFAULT_MAX_RECORD_BYTES } from './csv-records.js';
import { sourceLabel, type SourceRef } from './open-source.js';

/** The flags of `bulkhead import`, as commander parses them. */
export interface ImportFlags extends DatabaseUrlFlags {
  manifest?: string;
  file?: string;
  url?: string;
  table?: string;
  key?: string;
  maxRejected?: string;
  chunkRows?: string;
  name?: string;
  summaryFile?: string;
  metricsPort?: string;
  progressInterval?: string;
  httpTimeout?: string;
  maxBytes?: string;
  sourceDeadline?: string;
  sourceDir?: string;
  maxRecordBytes?: string;
}

/** Declares the flags on the `import` command. */
export function declareImportFlags(cmd: Command): Command {
  return declareDatabaseUrlFlags(cmd)
    .option('--manifest <file>', 'a CsvImport manifest (YAML); its spec is the configuration')
    .option('--file <path|->', 'the CSV file, or - for standard input (replaces spec.source)')
    .option('--url <url>', 'an http(s) URL to stream the CSV from (replaces spec.source)')
    .option('--table <table>', 'the target table, optionally schema.table (spec.target.table)')
    .option('--key <columns>', 'comma-separated conflict key columns (spec.target.key)')
    .option('--max-rejected <n>', 'bad rows tolerated before nothing is merged (spec.errors.maxRejected)')
    .option('--chunk-rows <n>', 'rows merged per transaction (spec.merge.chunkRows)')
    .option('--name <name>', 'the import\'s name, for application_name and staging (default: metadata.name, or the table)')
    .option('--summary-file <file>', 'also write the summary line here when /dev/termination-log does not exist')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port while running')
    .option('--progress-interval <seconds>', 'seconds between progress lines on stderr', '5')
    .option('--http-timeout <seconds>', 'seconds an http(s) source may stall', '30')
    .option('--max-bytes <n>', 'the most bytes of CSV read from the source, after gunzip (spec.source.maxBytes; default 10 GiB)')
    .option('--source-deadline <seconds>', 'seconds to read the source to its end (spec.source.deadlineSeconds; default 1800)')
    .option('--source-dir <dir>', 'where a configMap key or persistentVolumeClaim path of spec.source is looked up', SOURCE_MOUNT_DIR)
    .option('--max-record-bytes <n>', 'the longest CSV record accepted; a longer one stops the import (exit 2)', String(DEFAULT_MAX_RECORD_BYTES));
}

/** Overlays the flags on a spec: flags win over the manifest. */
function applyFlags(spec: Record<string, unknown>, flags: ImportFlags): Record<string, unknown> {
  const out = structuredClone(spec) as Record<string, Record<string, unknown> | undefined> & Record<string, unknown>;
  const section = (name: string): Record<string, unknown> => (out[name] = { ...(out[name] ?? {}) } as Record<string, unknown>);
  if (flags.file !== undefined && flags.url !== undefined) throw new InvalidInputError('--file and --url: give one source, not both');
  // A source given by flag replaces the manifest's, but not the limits set on it.
  const limits = Object.fromEntries(Object.entries(out.source ?? {}).filter(([field]) => field === 'maxBytes' || field === 'deadlineSeconds'));
  if (flags.file !== undefined) out.source = { ...limits, path: flags.file };
  if (flags.url !== undefined) out.source = { ...limits, url: flags.url };
  const maxBytesFlag = numberFlag(flags.maxBytes, '--max-bytes', { integer: true });
  if (maxBytesFlag !== undefined) section('source').maxBytes = maxBytesFlag;
  const deadlineFlag = numberFlag(flags.sourceDeadline, '--source-deadline', { integer: true });
  if (deadlineFlag !== undefined) section('source').deadlineSeconds = deadlineFlag;
  if (flags.table !== undefined) section('target').table = flags.table;
  if (flags.key !== undefined) section('target').key = flags.key.split(',').map((k) => k.trim()).filter((k) => k !== '');
  const maxRejected = numberFlag(flags.maxRejected, '--max-rejected', { integer: true });
  if (maxRejected !== undefined) section('errors').maxRejected = maxRejected;
  const chunkRows = numberFlag(flags.chunkRows, '--chunk-rows', { integer: true });
  if (chunkRows !== undefined) section('merge').chunkRows = chunkRows;
  return out;
}

/**
 * Where the runner reads its CSV, from the validated spec. A configMap key or persistentVolumeClaim path is looked
 * up under sourceDir, where the operator mounts it (the ConfigMap's key keeps its name there).
 */
export function sourceOf(spec: CsvImportSpec, origin: string, sourceDir: string = SOURCE_MOUNT_DIR): SourceRef {
  const { source } = spec;
  if (source.url) return { kind: 'url', url: source.url };
  if (source.path === '-') return { kind: 'stdin' };
  if (source.path) return { kind: 'file', path: source.path };
  if (source.configMap) {
    const { name, key } = source.configMap;
    return { kind: 'mounted', dir: sourceDir, path: key, label: `configMap ${name}/${key}` };
  }
  if (source.persistentVolumeClaim) {
    const { claimName, path } = source.persistentVolumeClaim;
    return { kind: 'mounted', dir: sourceDir, path, label: `persistentVolumeClaim ${claimName}:${path}` };
  }
  throw new InvalidInputError(`${origin}: spec.source: no source is set`);
}

/** Builds the import's one configuration from manifest or BULKHEAD_SPEC, flags and environment. */
export function buildImportConfig(flags: ImportFlags, env: NodeJS.ProcessEnv): { config: ImportConfig; source: SourceRef } {
  const manifest = loadManifest('CsvImport', flags.manifest, env);
  const raw = applyFlags((manifest.spec ?? {}) as Record<string, unknown>, flags);
  if (raw.source === undefined) {
    throw new InvalidInputError(`${manifest.origin}: no CSV to import: give --file PATH (- for standard input), --url URL, `
      + 'or --manifest FILE, a CsvImport whose spec.source names one');
  }
  const spec = validateSpec<CsvImportSpec>('CsvImport', raw, manifest.origin);
  const name = flags.name ?? (manifest.name || spec.target.table);
  const source = sourceOf(spec, manifest.origin, flags.sourceDir);
  const metricsPort = numberFlag(flags.metricsPort, '--metrics-port', { integer: true });
  return {
    source,
    config: {
      name,
      namespace: manifest.namespace,
      spec,
      sourceLabel: sourceLabel(source),
      connection: {
        databaseUrl: resolveDatabaseUrl(flags, env),
        applicationName: applicationName('import', manifest.namespace, name),
      },
      summaryFile: flags.summaryFile,
      metricsPort,
      progressIntervalMs: (numberFlag(flags.progressInterval, '--progress-interval', { positive: true }) ?? 5) * 1000,
      httpTimeoutSeconds: numberFlag(flags.httpTimeout, '--http-timeout', { positive: true }) ?? 30,
      sourceLimits: { maxBytes: spec.source.maxBytes, deadlineSeconds: spec.source.deadlineSeconds },
      maxRecordBytes: maxRecordBytes(flags.maxRecordBytes),
    },
  };
}

/** Memory holds about two copies of the longest record (its pieces, then the record), so the limit is bounded too. */
const MAX_RECORD_BYTES_LIMIT = 1024 * 1024 * 1024;

function maxRecordBytes(value: string | undefined): number {
  const n = numberFlag(value, '--max-record-bytes', { integer: true, positive: true }) ?? DEFAULT_MAX_RECORD_BYTES;
  if (n > MAX_RECORD_BYTES_LIMIT) throw new InvalidInputError(`--max-record-bytes: at most ${MAX_RECORD_BYTES_LIMIT} (1 GiB), got ${n}`);
  return n;
}
