import type { SqlQuery } from '../../shared/sql-query.js';

/** The first half of every import's advisory lock key: 'BULK'. The second half is hashtext(staging base name). */
const LOCK_CLASS = 0x42554c4b;

/**
 * A session-level advisory lock per import. A running import holds it from before its staging exists until after
 * it is dropped; PostgreSQL releases it when the session ends, however the process died. So staging whose lock
 * can be taken belongs to no live run and is safe to drop.
 */
export function tryImportLock(base: string): SqlQuery {
  return { name: 'bulkhead_try_import_lock', text: 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', values: [LOCK_CLASS, base] };
}

/** Releases the lock taken by tryImportLock. */
export function releaseImportLock(base: string): SqlQuery {
  return { name: 'bulkhead_release_import_lock', text: 'SELECT pg_advisory_unlock($1, hashtext($2))', values: [LOCK_CLASS, base] };
}
