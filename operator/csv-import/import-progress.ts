import type pg from 'pg';
import { applicationName } from '../../runners/shared/connection.js';
import type { CsvImportStatus } from '../../runners/shared/generated/csvimport.js';
import { readCopyProgress } from '../observer/sql/read-copy-progress.js';
import { progressTableExists, readMergeProgress } from '../observer/sql/read-merge-progress.js';

/**
 * Live progress of a running import: during the COPY, bytes and tuples from pg_stat_progress_copy (found by the
 * runner's application_name); during the merge, the rows merged so far from the runner's bookkeeping table.
 */
export async function readImportProgress(pool: pg.Pool, namespace: string, name: string, previous: CsvImportStatus['progress']): Promise<CsvImportStatus['progress'] | undefined> {
  const copy = await pool.query<{ bytes: string; tuples: string; copying: number }>(readCopyProgress(applicationName('import', namespace, name)));
  const row = copy.rows[0];
  if (row && row.copying > 0) return { bytesProcessed: Number(row.bytes), tuplesProcessed: Number(row.tuples) };
  const table = await pool.query<{ exists: boolean }>(progressTableExists());
  if (!table.rows[0]?.exists) return undefined;
  const merge = await pool.query<{ phase: string; rows_done: string }>(readMergeProgress(`${namespace}/${name}`));
  const progress = merge.rows[0];
  if (progress?.phase !== 'merge') return undefined;
  return { bytesProcessed: previous?.bytesProcessed ?? 0, tuplesProcessed: Number(progress.rows_done) };
}
