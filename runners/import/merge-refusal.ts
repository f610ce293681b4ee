import type { Session } from '../shared/session.js';
import type { SqlQuery } from '../shared/sql-query.js';
import { describeDataError, type DataError } from './data-error.js';
import { findRefusedRow } from './find-refused-row.js';
import type { MergeSource } from './sql/merge-source.js';
import { sourceLine } from './sql/source-line.js';

/** What a refused merge is explained from: the chunk statement, where its rows come from, and the file's label. */
export interface RefusalContext {
  chunk: SqlQuery;
  source: MergeSource;
  importId: string;
  file: string;
}

/** What the merge had committed when a row was refused; undefined for the fast path, which commits nothing. */
export interface MergedBefore {
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

/**
 * The message for a range (from, to] of the source that the target refused: the file line of the first row it
 * refuses (found by findRefusedRow), PostgreSQL's reason, and exactly what is merged.
 */
export async function explainRefusal(session: Session, ctx: RefusalContext, from: number, to: number, failure: DataError, before: MergedBefore | undefined): Promise<string> {
  const row = await findRefusedRow(session, ctx.chunk, ctx.importId, from, to);
  const line = row ? Number((await session.query<{ line: string }>(sourceLine(ctx.source, row.order))).rows[0]?.line) : undefined;
  const where = line !== undefined && Number.isFinite(line) ? `${ctx.file}:${line}: the target refused this row` : `${ctx.file}: the target refused a row of the chunk being merged`;
  return `${where}, and the merge stopped: ${describeDataError(row?.error ?? failure)}. ${whatIsMerged(before)} ` +
    'Fix the row (or the target) and run the import again: the rows merged already come back unchanged.';
}

function whatIsMerged(before: MergedBefore | undefined): string {
  if (before === undefined) return 'Nothing was merged: into an empty table the rows go in all at once or not at all.';
  if (before.rows === 0) return 'Nothing was merged: the row is in the first chunk.';
  const merged = before.rows === 1 ? 'The 1 row of the chunks before it is' : `The ${before.rows} rows of the chunks before it are`;
  return `${merged} merged (${before.inserted} inserted, ${before.updated} updated, ` +
    `${before.unchanged} unchanged); its chunk and the ones after it are not.`;
}
