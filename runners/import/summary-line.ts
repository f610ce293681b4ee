import { clipText } from '../shared/source-text.js';
import type { ImportSummary } from './summary.js';

/** Kubernetes keeps this many bytes of a container's termination message; the line and its newline must fit. */
export const TERMINATION_MESSAGE_BYTES = 4096;

/** How much of `error` is kept when the whole line does not fit, and when even that is too much. */
const ERROR_BYTES = 1024;
const LAST_RESORT_ERROR_BYTES = 256;
/** A reject's column and reason when the whole line does not fit. */
const REJECT_TEXT_BYTES = 64;

/**
 * The summary as one JSON line of at most maxBytes of UTF-8, counts first, so the operator always gets the counts.
 * When the full line is too long: `error` is clipped to 1 KiB and each reject's column and reason to 64 bytes; then
 * rejects are dropped from the end (`rejectsOmitted` says how many; every one is in the reject table); and last,
 * `error` is clipped to 256 bytes. Everything but `error` and `rejects` is bounded, so the last step always fits.
 */
export function summaryLine(summary: ImportSummary, maxBytes: number = TERMINATION_MESSAGE_BYTES - 1): string {
  const fits = (line: string): boolean => Buffer.byteLength(line, 'utf8') <= maxBytes;
  let line = render(summary, summary.rejects, summary.error);
  if (fits(line)) return line;
  const rejects = summary.rejects.map((r) => ({ line: r.line, column: clip(r.column, REJECT_TEXT_BYTES), reason: clip(r.reason, REJECT_TEXT_BYTES) }));
  const error = clip(summary.error, ERROR_BYTES);
  // Fewest rejects dropped: the longest prefix that fits, by bisection (a summary may hold thousands).
  let low = 0;
  let high = rejects.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(render(summary, rejects.slice(0, mid), error))) low = mid;
    else high = mid - 1;
  }
  line = render(summary, rejects.slice(0, low), error);
  return fits(line) ? line : render(summary, [], clip(summary.error, LAST_RESORT_ERROR_BYTES));
}

/** The line with the counts first, then the error, then the sample of rejects. */
function render(s: ImportSummary, rejects: ImportSummary['rejects'], error: string | undefined): string {
  const omitted = s.rejects.length - rejects.length;
  return JSON.stringify({
    event: s.event, phase: s.phase, strategy: s.strategy, rowsRead: s.rowsRead, rowsRejected: s.rowsRejected,
    duplicateKeys: s.duplicateKeys, rowsInserted: s.rowsInserted, rowsUpdated: s.rowsUpdated, rowsUnchanged: s.rowsUnchanged,
    copySeconds: s.copySeconds, mergeSeconds: s.mergeSeconds, totalSeconds: s.totalSeconds, fastPath: s.fastPath,
    peakRssBytes: s.peakRssBytes, rejectTable: s.rejectTable,
    ...(error === undefined ? {} : { error }),
    ...(omitted > 0 ? { rejectsOmitted: omitted } : {}),
    rejects,
  });
}

function clip<T extends string | undefined>(text: T, maxBytes: number): T {
  return (text !== undefined && Buffer.byteLength(text, 'utf8') > maxBytes ? clipText(text, maxBytes) : text) as T;
}
