import type pg from 'pg';
import { applicationName } from '../../runners/shared/connection.js';
import type { CsvImportStatus } from '../../runners/shared/generated/csvimport.js';
import { readCopyProgress } from '../observer/sql/read-copy-progress.js';
import { progressTableExists, readMergeProgress } from '../observer/sql/read-merge-progress.js';
import { pacingFromRow, type ImportPacing } from './pacing-status.js';

/** What a running import reports: its progress, and its pacing state while it merges. Each undefined when unknown. */
export interface ImportLiveState {
  progress: CsvImportStatus['progress'] | undefined;
  pacing: ImportPacing | undefined;
}

/**
 * Live progress of a running import: during the COPY, bytes and tuples from pg_stat_progress_copy (found by the
 * runner's application_name); during the merge, the rows merged so far and the pacing state from the runner's
 * bookkeeping table. A pacing state left by an earlier run is not read before this run's merge has begun.
 */
export async function readImportProgress(pool: pg.Pool, namespace: string, name: string, previous: CsvImportStatus['progress']): Promise<ImportLiveState> {
  const copy = await pool.query<{ bytes: string; tuples: string; copying: number }>(readCopyProgress(applicationName('import', namespace, name)));
  const row = copy.rows[0];
  if (row && row.copying > 0) return { progress: { bytesProcessed: Number(row.bytes), tuplesProcessed: Number(row.tuples) }, pacing: undefined };
  const table = await pool.query<{ exists: boolean }>(progressTableExists());
  if (!table.rows[0]?.exists) return { progress: undefined, pacing: undefined };
  const merge = await pool.query<{ phase: string; rows_done: string; pacing: unknown }>(readMergeProgress(`${namespace}/${name}`));
  const progress = merge.rows[0];
  if (progress?.phase !== 'merge') return { progress: undefined, pacing: undefined };
  return { progress: { bytesProcessed: previous?.bytesProcessed ?? 0, tuplesProcessed: Number(progress.rows_done) }, pacing: pacingFromRow(progress.pacing) };
}
