import { existsSync, writeFileSync } from 'node:fs';
import { summaryLine } from './summary-line.js';

/** The single JSON line an import prints when it finishes (the README, "bulkhead import"), also written to the termination-message path. */
export interface ImportSummary {
  event: 'summary';
  phase: 'Succeeded' | 'Failed';
  strategy: 'upsert' | 'insertOnly';
  rowsRead: number;
  rowsRejected: number;
  duplicateKeys: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  copySeconds: number;
  mergeSeconds: number;
  totalSeconds: number;
  /** At most 20; the full list is in rejectTable. */
  rejects: { line: number; column: string; reason: string }[];
  /** How many of the sample's rejects were left out of the line to keep it within 4096 bytes (summary-line.ts). */
  rejectsOmitted?: number;
  /** Where every reject of this run is recorded, filtered by import = namespace/name. */
  rejectTable: string;
  /** Whether the empty-target fast path loaded the rows. */
  fastPath: boolean;
  /** The runner's peak resident memory. */
  peakRssBytes: number;
  /** Why the import failed, when it did. */
  error?: string;
}

/**
 * A summary with every count at zero, to fill in as the import proceeds. The strategy is the spec's default until
 * the spec is read (a run that fails before then still writes a summary).
 */
export function emptySummary(strategy: ImportSummary['strategy'] = 'upsert'): ImportSummary {
  return {
    event: 'summary', phase: 'Failed', strategy, rowsRead: 0, rowsRejected: 0, duplicateKeys: 0, rowsInserted: 0,
    rowsUpdated: 0, rowsUnchanged: 0, copySeconds: 0, mergeSeconds: 0, totalSeconds: 0, rejects: [],
    rejectTable: 'bulkhead.import_rejects', fastPath: false, peakRssBytes: 0,
  };
}

const TERMINATION_LOG = '/dev/termination-log';

/**
 * Prints the summary on stdout and writes it where Kubernetes reads a container's termination message:
 * /dev/termination-log when it exists, otherwise --summary-file. Kubernetes keeps only 4096 bytes, so
 * the line is cut to fit, counts first (summary-line.ts).
 */
export function writeSummary(summary: ImportSummary, summaryFile: string | undefined): void {
  const line = summaryLine(summary);
  process.stdout.write(`${line}\n`);
  const path = existsSync(TERMINATION_LOG) ? TERMINATION_LOG : summaryFile;
  if (path) writeFileSync(path, `${line}\n`);
}
