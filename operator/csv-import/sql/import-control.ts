import type { CsvImportSpec } from '../../../runners/shared/generated/csvimport.js';
import type { Queryable } from '../../../runners/shared/sql-query.js';

/** What the operator tells a running import between its chunks: the bulkhead.dev/paused annotation and spec.merge.pacing. */
export interface ImportControl {
  paused: boolean;
  /** null: no pacing (the chunks run back to back). */
  pacing: NonNullable<CsvImportSpec['merge']['pacing']> | null;
}

/** What a write found: the row changed, it already said the same, or schema bulkhead is not there yet. */
export type ControlWrite = 'changed' | 'unchanged' | 'missing';

/** invalid_schema_name, undefined_table: no run has created schema bulkhead (or migrated it to version 3) yet. */
const MISSING = new Set(['3F000', '42P01']);

/**
 * Upserts the import's row of bulkhead.import_control (migration 3), which the runner reads after every chunk. The
 * operator writes it on each reconcile of a run that is admitted or running, about every 5 s, so the WHERE skips
 * the write (and its dead tuple) when nothing changed; jsonb compares by value, whatever the key order. The row is
 * the role's own (owner defaults to current_user, and row-level security is forced): the operator writes it with
 * the import's Secret, the same role as the runner. Before the first run created the schema there is nothing to
 * write to, and nothing to control yet: 'missing', not an error.
 */
export async function writeImportControl(db: Queryable, importId: string, control: ImportControl): Promise<ControlWrite> {
  try {
    const { rowCount } = await db.query({
      name: 'bulkhead_write_import_control',
      text: `INSERT INTO bulkhead.import_control AS c (import, paused, pacing, updated_at) VALUES ($1, $2, $3::jsonb, now())
ON CONFLICT (owner, import) DO UPDATE SET paused = EXCLUDED.paused, pacing = EXCLUDED.pacing, updated_at = EXCLUDED.updated_at
WHERE (c.paused, c.pacing) IS DISTINCT FROM (EXCLUDED.paused, EXCLUDED.pacing)`,
      values: [importId, control.paused, control.pacing === null ? null : JSON.stringify(control.pacing)],
    });
    return rowCount === 0 ? 'unchanged' : 'changed';
  } catch (err) {
    if (MISSING.has((err as { code?: string }).code ?? '')) return 'missing';
    throw new Error(`while writing the live control of import ${importId} to bulkhead.import_control`, { cause: err });
  }
}

/** Deletes the import's row when its CsvImport goes (the finalizer); false when schema bulkhead is not there. */
export async function deleteImportControl(db: Queryable, importId: string): Promise<boolean> {
  try {
    await db.query({ text: 'DELETE FROM bulkhead.import_control WHERE import = $1 AND owner = current_user', values: [importId] });
    return true;
  } catch (err) {
    if (MISSING.has((err as { code?: string }).code ?? '')) return false;
    throw new Error(`while deleting the live control of import ${importId} from bulkhead.import_control`, { cause: err });
  }
}
