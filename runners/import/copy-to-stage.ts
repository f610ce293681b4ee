import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { Session } from '../shared/session.js';
import { InvalidInputError } from '../shared/errors.js';
import { CopyRowStream, type FramingCounts, type Reject } from './copy-rows.js';
import { copyIntoStage } from './sql/copy-into-stage.js';
import type { CsvFormat } from './import-config.js';

/** What the COPY phase produced. */
export interface CopyResult extends FramingCounts {
  /** Rows COPYed into staging. */
  rowsStaged: number;
  /** Records rejected while framing, in file order. */
  rejects: Reject[];
}

/**
 * Streams the CSV body into the staging table through one COPY. Bad records are held back and collected; once
 * there are more than maxRejected, the COPY is abandoned at once (destroying the stream sends CopyFail, which
 * rolls it back), since the import is refused anyway.
 */
export async function copyToStage(
  session: Session,
  body: Readable,
  target: { schema: string; table: string; columns: string[]; firstDataLine: number; format: CsvFormat; maxRejected: number; file: string },
  stop: AbortSignal,
  onProgress: (counts: FramingCounts) => void,
): Promise<CopyResult> {
  const rejects: Reject[] = [];
  const rows = new CopyRowStream(target.format, target.columns, target.firstDataLine, (reject) => {
    rejects.push(reject);
    if (rejects.length > target.maxRejected) {
      rows.destroy(new InvalidInputError(`${target.file}: more than ${target.maxRejected} bad rows (errors.maxRejected); nothing was merged`));
    }
  });
  const ticker = setInterval(() => onProgress(rows.counts), 250);
  session.checkStopped();
  const copy = session.client.query(copyFrom(copyIntoStage(target.schema, target.table, target.columns.length, target.format)));
  try {
    // A cancel request does not interrupt a COPY that waits for client data, so a stop destroys the pipeline
    // instead: the copy stream then sends CopyFail, and the server rolls the COPY back.
    await pipeline(body, rows, copy, { signal: stop });
  } catch (err) {
    session.checkStopped();
    if (err instanceof InvalidInputError) return { ...rows.counts, rowsStaged: 0, rejects };
    throw new Error(`while copying ${target.file} into staging`, { cause: err });
  } finally {
    clearInterval(ticker);
    onProgress(rows.counts);
  }
  return { ...rows.counts, rowsStaged: Number(copy.rowCount), rejects };
}
