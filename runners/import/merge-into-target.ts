import type { Session } from '../shared/session.js';
import type { Logger } from '../shared/logger.js';
import type { ImportPlan } from './import-plan.js';
import { mergeChunk, type MergeOptions } from './sql/merge-chunk.js';
import { recordImportProgress } from './sql/record-import-progress.js';
import { mergeOneChunk, type ChunkStatements } from './merge-one-chunk.js';
import type { MergeSource } from './sql/merge-source.js';
import { countMergedRows } from './sql/count-merged-rows.js';
import { isDataError, type DataError } from './data-error.js';
import { explainRefusal, type MergedBefore, type RefusalContext } from './merge-refusal.js';
import { MergeRefusedError } from '../shared/errors.js';
import { droppableIndexes, dropIndex, insertAll, lockTarget, mayRebuildIndexes, targetHasRows } from './sql/fast-path.js';
import { countNoun } from '../shared/count-noun.js';
import type { MergePacer } from './pacing/merge-pacer.js';

/** Rows written by the merge. */
export interface MergeCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Whether the empty-target fast path loaded the rows. */
  fastPath: boolean;
}

/** The order-column values the source spans, and how many rows it holds. */
export interface MergeRange {
  first: number;
  last: number;
  rows: number;
}

/** Knobs of the merge. */
export interface MergeSettings extends MergeOptions {
  chunkRows: number;
  /** How long the fast path waits for its lock before falling back to chunks. */
  fastPathLockTimeoutMs: number;
  /** The source's label, for the message about a refused row. */
  file: string;
}

/**
 * Merges the source into the target. An empty target takes the fast path; otherwise rows go in key order,
 * chunkRows per transaction, so a crash loses at most the chunk in flight and a rerun converges (the merge is
 * idempotent: rows already merged come back as unchanged). onCommitted hears what is merged after each chunk.
 *
 * The pacer sets each chunk's size and the pause after it (runners/import/pacing); a paced merge always goes in
 * chunks, since the fast path's single transaction could not yield to anyone.
 *
 * A row the target refuses (a constraint, a trigger: see data-error.ts) throws MergeRefusedError (exit 3), naming
 * its file line, once onCommitted has heard exactly what the chunks before it merged. Any other failure is thrown
 * as it is.
 */
export async function mergeIntoTarget(
  session: Session, plan: ImportPlan, source: MergeSource, range: MergeRange, importId: string,
  settings: MergeSettings, pacer: MergePacer, log: Logger, onCommitted: (done: number, counts: MergeCounts) => void,
): Promise<MergeCounts> {
  const chunk: ChunkStatements = { first: mergeChunk(plan, source, settings, true), fallback: mergeChunk(plan, source, settings, false) };
  const refusal: RefusalContext = { chunk: chunk.fallback, source, importId, file: settings.file };
  const counts: MergeCounts = { inserted: 0, updated: 0, unchanged: 0, fastPath: false };
  const refused = async (from: number, to: number, err: DataError, before: MergedBefore | undefined): Promise<MergeRefusedError> => {
    log.warn({ event: 'merge-refused', sqlState: err.code, constraint: err.constraint }, 'the target refused a row; finding its line');
    return new MergeRefusedError(await explainRefusal(session, refusal, from, to, err, before));
  };
  let done = 0;
  const report = (pacing: object | undefined) => session.query(recordImportProgress(importId, 'merge', done, range.rows, pacing));
  // The live control first: a pause holds even the fast path, and pacing added since the start turns it off.
  await report(undefined);
  await pacer.beforeFirstChunk(report);
  if (range.rows > 0 && !pacer.paced) {
    let fast: number | undefined;
    try {
      fast = await loadEmptyTarget(session, plan, source, importId, settings.fastPathLockTimeoutMs, log);
    } catch (err) {
      if (!isDataError(err)) throw err;
      throw await refused(range.first - 1, range.last, err, undefined);
    }
    if (fast !== undefined) {
      const merged = { inserted: fast, updated: 0, unchanged: range.rows - fast, fastPath: true };
      onCommitted(range.rows, merged);
      return merged;
    }
  }
  for (let from = range.first - 1; from < range.last;) {
    const to = Math.min(from + pacer.chunkRows, range.last);
    const started = performance.now();
    let rows: { inserted: string; updated: string }[];
    let lockWaiters: number | undefined;
    try {
      ({ result: { rows }, lockWaiters } = await pacer.runChunk(() => mergeOneChunk<{ inserted: string; updated: string }>(session, chunk, [from, to, importId])));
    } catch (err) {
      if (!isDataError(err)) throw err;
      const before = from < range.first ? 0 : Number((await session.query<{ rows: string }>(countMergedRows(source, from, importId))).rows[0]?.rows);
      counts.unchanged = before - counts.inserted - counts.updated;
      onCommitted(before, counts);
      throw await refused(from, to, err, { rows: before, ...counts });
    }
    counts.inserted += Number(rows[0]?.inserted ?? 0);
    counts.updated += Number(rows[0]?.updated ?? 0);
    done = Math.min(range.rows, to - range.first + 1);
    onCommitted(done, counts);
    if (to < range.last) await pacer.afterChunk(to - from, (performance.now() - started) / 1000, lockWaiters, report);
    else await report(pacer.status);
    from = to;
  }
  counts.unchanged = range.rows - counts.inserted - counts.updated;
  return counts;
}

/** The secondary indexes the fast path drops and rebuilds: none when this role may not (it loads with them in place). */
async function indexesToRebuild(session: Session, plan: ImportPlan, log: Logger): Promise<{ name: string; definition: string }[]> {
  const { rows: indexes } = await session.query<{ name: string; definition: string }>(droppableIndexes(plan));
  if (indexes.length === 0) return indexes;
  const { rows: may } = await session.query<{ may: boolean }>(mayRebuildIndexes(plan));
  if (may[0]?.may) return indexes;
  log.info({ event: 'fast-path-indexes-kept', indexes: indexes.length }, 'this role does not own the target (or may not create in its schema): loading with its secondary indexes in place');
  return [];
}

/**
 * The empty-target fast path: in ONE transaction, drop the secondary indexes, insert every row, and rebuild the
 * indexes from their exact definitions. Building an index once over sorted data is several times cheaper than
 * maintaining it row by row. Because DDL is transactional in PostgreSQL, a crash or kill at any point rolls the
 * whole thing back: the table is again empty and has every index it had. Returns undefined when the target is not
 * empty or is busy, and the caller merges in chunks instead.
 */
async function loadEmptyTarget(session: Session, plan: ImportPlan, source: MergeSource, importId: string, lockTimeoutMs: number, log: Logger): Promise<number | undefined> {
  await session.query('BEGIN');
  try {
    await session.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
    try {
      await session.query(lockTarget(plan));
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03') throw err;
      log.info({ event: 'fast-path-skipped', reason: 'lock timeout' }, 'target is busy; merging in chunks');
      await session.client.query('ROLLBACK');
      return undefined;
    }
    const { rows: has } = await session.query<{ has_rows: boolean }>(targetHasRows(plan));
    if (has[0]?.has_rows) {
      await session.client.query('ROLLBACK');
      return undefined;
    }
    await session.query('SET LOCAL lock_timeout = 0');
    const indexes = await indexesToRebuild(session, plan, log);
    for (const index of indexes) await session.query(dropIndex(index.name));
    const inserted = await session.query(insertAll(plan, source, importId));
    // Index builds sort in maintenance_work_mem; the default 64MB spills a multi-million-row sort to disk.
    await session.query("SET LOCAL maintenance_work_mem = '256MB'");
    for (const index of indexes) await session.query(index.definition);
    await session.query('COMMIT');
    log.info({ event: 'fast-path', indexesRebuilt: indexes.length }, `target was empty: loaded without ${countNoun(indexes.length, 'secondary index', 'secondary indexes')}, rebuilt them`);
    return inserted.rowCount ?? 0;
  } catch (err) {
    await session.client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
