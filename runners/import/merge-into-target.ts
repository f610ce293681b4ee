import type { Session } from '../shared/session.js';
import type { Logger } from '../shared/logger.js';
import type { ImportPlan } from './import-plan.js';
import { mergeChunk, type MergeOptions } from './sql/merge-chunk.js';
import { recordImportProgress } from './sql/record-import-progress.js';
import type { MergeSource } from './sql/merge-source.js';
import { droppableIndexes, dropIndex, insertAll, lockTarget, targetHasRows } from './sql/fast-path.js';
import { countNoun } from '../shared/count-noun.js';

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
}

/**
 * Merges the source into the target. An empty target takes the fast path; otherwise rows go in key order,
 * chunkRows per transaction, so a crash loses at most the chunk in flight and a rerun converges (the merge is
 * idempotent: rows already merged come back as unchanged).
 */
export async function mergeIntoTarget(
  session: Session, plan: ImportPlan, source: MergeSource, range: MergeRange, importId: string,
  settings: MergeSettings, log: Logger, onProgress: (merged: number) => void,
): Promise<MergeCounts> {
  if (range.rows > 0) {
    const fast = await loadEmptyTarget(session, plan, source, importId, settings.fastPathLockTimeoutMs, log);
    if (fast !== undefined) {
      onProgress(range.rows);
      return { inserted: fast, updated: 0, unchanged: range.rows - fast, fastPath: true };
    }
  }
  const query = mergeChunk(plan, source, settings);
  const counts: MergeCounts = { inserted: 0, updated: 0, unchanged: 0, fastPath: false };
  await session.query(recordImportProgress(importId, 'merge', 0, range.rows));
  for (let from = range.first - 1; from < range.last; from += settings.chunkRows) {
    const to = Math.min(from + settings.chunkRows, range.last);
    const { rows } = await session.query<{ inserted: string; updated: string }>({ ...query, values: [from, to, importId] });
    counts.inserted += Number(rows[0]?.inserted ?? 0);
    counts.updated += Number(rows[0]?.updated ?? 0);
    const done = Math.min(range.rows, to - range.first + 1);
    await session.query(recordImportProgress(importId, 'merge', done, range.rows));
    onProgress(done);
  }
  counts.unchanged = range.rows - counts.inserted - counts.updated;
  return counts;
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
    const { rows: indexes } = await session.query<{ name: string; definition: string }>(droppableIndexes(plan));
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
