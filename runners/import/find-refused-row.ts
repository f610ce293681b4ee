import type { Session } from '../shared/session.js';
import type { SqlQuery } from '../shared/sql-query.js';
import { isDataError, type DataError } from './data-error.js';

/** The first row of a range that the target refuses: its order-column value, and the error it raised. */
export interface RefusedRow {
  order: number;
  error: DataError;
}

/**
 * Finds the first row (by the order column) of the range (from, to] that the target refuses, by bisection, in one
 * transaction that is rolled back: nothing it writes stays. It keeps a prefix of the range that merges cleanly
 * (lo, everything up to it merged inside the transaction) and a bound known to fail (hi): each probe merges (lo, mid]
 * under a savepoint, which is kept when it succeeds and rolled back when it fails. So a row that only fails next to
 * an earlier one of the file (two lines with the same value of a secondary unique column) is found too, at the later
 * line; at most log2(to - from) + 1 probes, and about twice the range's rows written in all.
 *
 * The range is assumed to fail (the merge of it just did); a last probe of the one row found confirms it, and its
 * error is the one reported. Returns undefined when that row merges after all (the target changed meanwhile).
 * An error that is not about the data (a deadlock, a lost connection) is thrown.
 */
export async function findRefusedRow(session: Session, chunk: SqlQuery, importId: string, from: number, to: number): Promise<RefusedRow | undefined> {
  const probe = async (lo: number, hi: number): Promise<DataError | undefined> => {
    await session.query('SAVEPOINT bulkhead_probe');
    try {
      await session.query({ ...chunk, values: [lo, hi, importId] });
      await session.query('RELEASE SAVEPOINT bulkhead_probe');
      return undefined;
    } catch (err) {
      if (!isDataError(err)) throw err;
      await session.query('ROLLBACK TO SAVEPOINT bulkhead_probe');
      return err;
    }
  };
  await session.query('BEGIN');
  try {
    // A deferred constraint would otherwise be checked only at COMMIT, which a probe never reaches.
    await session.query('SET CONSTRAINTS ALL IMMEDIATE');
    let lo = from;
    let hi = to;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (await probe(lo, mid)) hi = mid;
      else lo = mid;
    }
    const error = await probe(lo, hi);
    return error ? { order: hi, error } : undefined;
  } finally {
    await session.client.query('ROLLBACK').catch(() => undefined);
  }
}
