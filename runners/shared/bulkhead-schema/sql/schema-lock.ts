import type { SqlQuery } from '../../sql-query.js';

/**
 * The advisory lock that migrations run under: the bytes of "bulkhead" read as one big-endian bigint. One-key
 * advisory locks live apart from two-key ones, so it never meets an import's lock (two keys: 'BULK', hashtext).
 */
export const SCHEMA_LOCK_KEY = '7094695996560859492';

/** Waits for the schema lock; held until the transaction ends, however it ends, so nothing has to release it. */
export function lockSchema(): SqlQuery {
  return { text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [SCHEMA_LOCK_KEY] };
}
