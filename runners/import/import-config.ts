import type { CsvImportSpec } from '../shared/generated/csvimport.js';
import type { ConnectionSettings } from '../shared/connection.js';
import type { SourceLimits } from './source-limits.js';

/** How the CSV is written (spec.format, defaulted). */
export type CsvFormat = CsvImportSpec['format'];

/** Everything `bulkhead import` needs, built once at start-up from the manifest or BULKHEAD_SPEC and the flags. */
export interface ImportConfig {
  /** metadata.name of the CsvImport; part of application_name and of the staging table's name. */
  name: string;
  /** metadata.namespace, or `local` on the command line. */
  namespace: string;
  /** The validated, defaulted spec. */
  spec: CsvImportSpec;
  /** A name for the source in messages: the file path, `stdin`, or the URL without credentials. */
  sourceLabel: string;
  /** Where to connect. */
  connection: ConnectionSettings;
  /** Where the summary line is written when /dev/termination-log does not exist. */
  summaryFile: string | undefined;
  /** Port for /metrics while the import runs; undefined serves none. */
  metricsPort: number | undefined;
  /** How often a progress line goes to stderr. */
  progressIntervalMs: number;
  /** Seconds an http(s) source may stall before the import gives up. */
  httpTimeoutSeconds: number;
  /** How many bytes of CSV the source may hold, and how long reading it may take (spec.source, defaulted). */
  sourceLimits: SourceLimits;
  /** The longest CSV record accepted; a longer one (usually a quote never closed) stops the import, exit 2. */
  maxRecordBytes: number;
}
