import type pg from 'pg';
import type { Session } from '../shared/session.js';
import type { SqlQuery } from '../shared/sql-query.js';

/** A chunk's statements: tried first, with the plain INSERT of an all-new chunk; and the one without it. */
export interface ChunkStatements {
  first: SqlQuery;
  fallback: SqlQuery;
}

const UNIQUE_VIOLATION = '23505';
const SAVEPOINT = 'bulkhead_new_keys';

/**
 * Merges one chunk, (from, to] in values, with the first statement; when that meets a unique violation, with the
 * fallback, whose outcome (rows or error) stands. The first one inserts an all-new chunk without ON CONFLICT
 * (see merge-chunk.ts), so a key another session inserted after its check makes it fail; so does a row that a
 * secondary unique index refuses, which the fallback then refuses too. Inside a transaction (pacing's lock-waiter
 * count) the first try runs under a savepoint, so the transaction survives it.
 */
export async function mergeOneChunk<R extends pg.QueryResultRow>(session: Session, statements: ChunkStatements, values: unknown[]): Promise<pg.QueryResult<R>> {
  const inTransaction = session.client.getTransactionStatus() === 'T';
  if (inTransaction) await session.query(`SAVEPOINT ${SAVEPOINT}`);
  try {
    const result = await session.query<R>({ ...statements.first, values });
    if (inTransaction) await session.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    return result;
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    if (inTransaction) await session.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
  }
  return session.query<R>({ ...statements.fallback, values });
}
