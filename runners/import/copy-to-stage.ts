import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { Session } from '../shared/session.js';
import { BulkheadError, InvalidInputError } from '../shared/errors.js';
import { clipText } from '../shared/source-text.js';
import { countNoun } from '../shared/count-noun.js';
import { CopyRowStream, type FramingCounts, type Reject } from './copy-rows.js';
import { parseCopySkip } from './copy-skips.js';
import { RecordTooLongError } from './csv-records.js';
import { RecordChecks, type KeyOrder, type RecordCheckPlan } from './record-checks.js';
import { copyIntoStage } from './sql/copy-into-stage.js';
import type { CsvFormat } from './import-config.js';

/** A row COPY skipped, placed in the file. */
export interface SkippedRow {
  line: number;
  /** 0-based CSV column. */
  csvIndex: number;
  value: string | null;
}

/** What the COPY phase produced. */
export interface CopyResult extends FramingCounts {
  /** Rows COPYed into staging. */
  rowsStaged: number;
  /** Records rejected while framing or by the record checks, in file order. */
  rejects: Reject[];
  /** Rows COPY skipped for values their column's type cannot read (typed staging only), in file order. */
  skipped: SkippedRow[];
  /** Whether the staged keys strictly increase, as far as the runner could tell. */
  keyOrder: KeyOrder;
}

/** What to COPY where. */
export interface CopyTarget {
  schema: string;
  table: string;
  columns: string[];
  firstDataLine: number;
  format: CsvFormat;
  maxRejected: number;
  file: string;
  checks: RecordCheckPlan;
  /** Typed staging: COPY skips rows with unreadable values and names them in NOTICEs. */
  skipBadRows: boolean;
  /** The longest record accepted (csv-records.ts). */
  maxRecordBytes: number;
}

/**
 * Streams the CSV body into the staging table through one COPY. Bad records are held back and collected, and so
 * are the rows COPY itself skips; once there are more than maxRejected in all, the COPY is abandoned at once
 * (destroying the stream sends CopyFail, which rolls it back), since the import is refused anyway. So at most
 * maxRejected + 1 of them are ever held. A record longer than maxRecordBytes is bad input too, and ends the COPY
 * the same way: the file cannot be framed past it.
 */
export async function copyToStage(session: Session, body: Readable, target: CopyTarget, stop: AbortSignal, onProgress: (counts: FramingCounts) => void): Promise<CopyResult> {
  const rejects: Reject[] = [];
  const skipped: SkippedRow[] = [];
  let abandoned: InvalidInputError | undefined;
  const overLimit = (): void => {
    if (rejects.length + skipped.length > target.maxRejected) {
      rows.destroy(abandoned ??= new InvalidInputError(`${target.file}: more than ${countNoun(target.maxRejected, 'bad row')} (errors.maxRejected); nothing was merged`));
    }
  };
  const rows = new CopyRowStream(target.format, target.columns, target.firstDataLine, (reject) => {
    rejects.push(reject);
    overLimit();
  }, new RecordChecks(target.checks, target.format), target.maxRecordBytes);
  // A NOTICE arrives as soon as COPY skips a row (the server flushes each one), so the count is live.
  const onNotice = (notice: { message?: string }): void => {
    const skip = parseCopySkip(notice.message ?? '');
    // Past the limit, NOTICEs still come for the rows in flight; none is worth keeping.
    if (!skip || abandoned) return;
    const line = rows.lines.fileLine(skip.copyLine);
    const csvIndex = Number(skip.stageColumn.slice(1)) - 1;
    if (line === undefined || !(csvIndex >= 0 && csvIndex < target.columns.length)) {
      rows.destroy(new Error(`COPY skipped a row it placed at line ${skip.copyLine}, column ${skip.stageColumn}, which the runner cannot place in ${target.file}`));
      return;
    }
    skipped.push({ line, csvIndex, value: skip.value });
    overLimit();
  };
  const ticker = setInterval(() => onProgress(rows.counts), 250);
  session.checkStopped();
  if (target.skipBadRows) session.client.on('notice', onNotice);
  const copy = session.client.query(copyFrom(copyIntoStage(target.schema, target.table, target.columns.length, target.format, target.skipBadRows)));
  const result = (rowsStaged: number): CopyResult => ({ ...rows.counts, rowsStaged, rejects, skipped, keyOrder: rows.keyOrder });
  try {
    // A cancel request does not interrupt a COPY that waits for client data, so a stop destroys the pipeline
    // instead: the copy stream then sends CopyFail, and the server rolls the COPY back.
    await pipeline(body, rows, copy, { signal: stop });
  } catch (err) {
    session.checkStopped();
    if (abandoned) return result(0);
    if (err instanceof RecordTooLongError) throw new InvalidInputError(recordTooLongMessage(target, err));
    // The source's own limits (source-limits.ts) already say what happened, and carry their exit code.
    if (err instanceof BulkheadError) throw err;
    throw new Error(`while copying ${target.file} into staging`, { cause: err });
  } finally {
    session.client.off('notice', onNotice);
    clearInterval(ticker);
    onProgress(rows.counts);
  }
  // Too many bad rows, found when COPY had already read every row: the import is refused, as in the catch above.
  if (abandoned) return result(0);
  const staged = Number(copy.rowCount);
  // Every row sent is either staged or skipped with a NOTICE; a NOTICE lost or unread would hide a bad row.
  if (rows.sent - staged !== skipped.length) {
    throw new Error(`COPY into staging skipped ${rows.sent - staged} rows of ${target.file} but named ${skipped.length}; refusing to merge`);
  }
  skipped.sort((a, b) => a.line - b.line);
  return result(staged);
}

/** Where the runaway record starts (and its open quote, if any), what the limit is, and the likely cause. */
function recordTooLongMessage(target: CopyTarget, err: RecordTooLongError): string {
  const limit = `the record size limit, ${formatBytes(err.maxRecordBytes)}`;
  if (!err.inQuote) return `${target.file}:${err.line}: the record that starts here is longer than ${limit}; nothing was merged`;
  const column = target.columns[err.field - 1];
  const at = `${target.file}:${err.line}:${err.field}${column === undefined ? '' : ` (column "${clipText(column)}")`}`;
  return `${at}: a quoted field starts here and has no closing quote within ${limit}; is spec.format.quote right? Nothing was merged`;
}

function formatBytes(n: number): string {
  const MiB = 1024 * 1024;
  return n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}
