import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidInputError } from '../shared/errors.js';
import { numberFlag } from '../shared/number-flag.js';
import { declareDatabaseUrlFlags, resolveDatabaseUrl, type DatabaseUrlFlags } from '../shared/database-url.js';
import { checkAgainstSchema } from '../shared/spec-schema.js';
import { pacingSchema } from '../import/pacing/pacing-schema.js';

/** The flags of `bulkhead local`, as commander parses them. */
export interface LocalFlags extends DatabaseUrlFlags {
  rows?: string;
  baselineSeconds?: string;
  cooldownSeconds?: string;
  reportDir?: string;
  maxConnections?: string;
  comparePacing?: boolean;
  pacing?: string;
}

/** Everything `bulkhead local` needs, built once at start-up. */
export interface LocalConfig {
  /** Manifest files (YAML), folders of them, and setup SQL files. */
  paths: string[];
  /** A server to use; undefined starts an embedded PostgreSQL. */
  databaseUrl: string | undefined;
  /** Rows of the CSV generated for a CsvImport annotated bulkhead.dev/local-generate-csv. */
  rows: number;
  /** Seconds the workers run alone before the import starts. */
  baselineSeconds: number;
  /** Seconds the workers run on after the import ends. */
  cooldownSeconds: number;
  /** Where report.md, report.json and the chart go. */
  reportDir: string;
  /** max_connections of the embedded PostgreSQL. */
  maxConnections: number;
  /** Live progress bars on a terminal; plain log lines otherwise. */
  interactive: boolean;
  /** Run the timeline twice, merge pacing off and then on, and compare the two. */
  comparePacing: boolean;
  /** spec.merge.pacing for the paced timeline, as given with --pacing (checked against the CRD, not defaulted). */
  pacing: Record<string, unknown> | undefined;
}

/** The default CSV size: an import of about 20 s on 2 cores, so the whole default scenario takes about a minute. */
export const DEFAULT_ROWS = 500_000;

/** Declares the arguments and flags of `local`. */
export function declareLocalFlags(cmd: Command): Command {
  return declareDatabaseUrlFlags(cmd.argument('[paths...]', 'CsvImport and StressRun manifests (YAML), or folders of them and of setup *.sql files'), 'start an embedded one; only the tables the manifests name are touched on a server of your own')
    .option('--rows <n>', `rows in the generated CSV (default ${DEFAULT_ROWS}; the seed's import is 3500000)`)
    .option('--baseline-seconds <n>', 'seconds the workers run alone before the import starts', '15')
    .option('--cooldown-seconds <n>', 'seconds the workers run on after the import ends', '10')
    .option('--report-dir <dir>', 'where the report goes (default reports/<timestamp>)')
    .option('--max-connections <n>', 'max_connections of the embedded PostgreSQL (default 40); not with --database-url')
    .option('--compare-pacing', 'run the timeline twice, merge pacing off and then on (from a fresh target and queue each time), and compare them in one report')
    .option('--pacing <json>', `the CsvImport's spec.merge.pacing for the paced timeline, as JSON (with --compare-pacing, default ${JSON.stringify(DEFAULT_COMPARE_PACING)}); alone, one paced timeline`);
}

/** The pacing --compare-pacing turns on, unless --pacing or the manifest says otherwise: issue 13's goal of +25%. */
export const DEFAULT_COMPARE_PACING = { maxWorkerLatencyIncreasePercent: 25 };

/** --pacing: JSON that the CRD's spec.merge.pacing schema accepts, with the API server's messages otherwise. */
function pacingFlag(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (cause) {
    throw new InvalidInputError(`--pacing: expected JSON such as '${JSON.stringify(DEFAULT_COMPARE_PACING)}', got "${value}"`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidInputError(`--pacing: expected a JSON object, got "${value}"`);
  const { problems } = checkAgainstSchema(pacingSchema(), parsed, 'spec.merge.pacing');
  if (problems.length > 0) throw new InvalidInputError(`--pacing is not a valid spec.merge.pacing:\n  ${problems.join('\n  ')}`);
  return parsed as Record<string, unknown>;
}

/** Builds the one configuration of `bulkhead local` from its arguments and flags. */
export function buildLocalConfig(paths: string[], flags: LocalFlags, now = new Date()): LocalConfig {
  if (paths.length === 0) throw new InvalidInputError('name at least one manifest or folder, for example: bulkhead local examples/seed-scenario');
  const maxConnections = numberFlag(flags.maxConnections, '--max-connections', { integer: true, positive: true });
  const databaseUrl = resolveDatabaseUrl(flags, process.env, { fromEnv: false });
  if (maxConnections !== undefined && databaseUrl !== undefined) {
    throw new InvalidInputError('--max-connections sets up the embedded PostgreSQL; with --database-url the server\'s own max_connections applies');
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  return {
    paths,
    databaseUrl,
    rows: numberFlag(flags.rows, '--rows', { integer: true, positive: true }) ?? DEFAULT_ROWS,
    baselineSeconds: numberFlag(flags.baselineSeconds, '--baseline-seconds', { positive: true }) ?? 15,
    cooldownSeconds: numberFlag(flags.cooldownSeconds, '--cooldown-seconds', {}) ?? 10,
    reportDir: flags.reportDir ?? join('reports', stamp),
    maxConnections: maxConnections ?? 40,
    interactive: process.stdout.isTTY === true,
    comparePacing: flags.comparePacing === true,
    pacing: pacingFlag(flags.pacing),
  };
}
