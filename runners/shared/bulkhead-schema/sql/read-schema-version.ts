import type { Queryable } from '../../sql-query.js';
import { tenantGrantsHeld } from '../tenant-grants.js';

/** What one cheap SELECT tells about schema bulkhead, before any lock or DDL. */
export type SchemaVersion =
  /** The schema or its version table is missing (a fresh server, or one from before the schema was versioned). */
  | { state: 'missing' }
  /** The role may not read it: it lacks USAGE on the schema or SELECT on the version table. */
  | { state: 'denied' }
  /** Its version (the highest applied step), and whether the role holds what a run needs. */
  | { state: 'present'; version: number; granted: boolean };

const MISSING = new Set(['3F000', '42P01']); // invalid_schema_name, undefined_table
const DENIED = '42501'; // insufficient_privilege

/**
 * The fast path of every run: no lock, no DDL, so imports on a current schema never wait on each other. A table
 * that the grant check names but an older schema lacks also reads as missing; migrating then sorts it out.
 */
export async function readSchemaVersion(db: Queryable): Promise<SchemaVersion> {
  try {
    const { rows } = await db.query<{ version: number; granted: boolean }>({
      text: `SELECT coalesce(max(version), 0)::int AS version, ${tenantGrantsHeld()} AS granted FROM bulkhead.schema_migrations`,
      values: [],
    });
    return { state: 'present', version: rows[0]?.version ?? 0, granted: rows[0]?.granted === true };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (MISSING.has(code)) return { state: 'missing' };
    if (code === DENIED) return { state: 'denied' };
    throw err;
  }
}
