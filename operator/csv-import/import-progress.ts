import type pg from 'pg';
import { applicationName } from '../../runners/shared/connection.js';
import type { CsvImportStatus } from '../../runners/shared/generated/csvimport.js';
import { readCopyProgress } from '../observer/sql/read-copy-progress.js';

/** Live COPY progress of a running import, read from pg_stat_progress_copy by its application_name. */
export async function readImportProgress(pool: pg.Pool, namespace: string, name: string): Promise<CsvImportStatus['progress'] | undefined> {
  const { rows } = await pool.query<{ bytes: string; tuples: string; copying: number }>(readCopyProgress(applicationName('import', namespace, name)));
  const row = rows[0];
  if (!row || row.copying === 0) return undefined;
  return { bytesProcessed: Number(row.bytes), tuplesProcessed: Number(row.tuples) };
}
