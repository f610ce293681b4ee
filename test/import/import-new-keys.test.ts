/**
 * A chunk whose keys the target does not hold goes in by a plain INSERT (sql/merge-chunk.ts). A key that another
 * session inserts after that check must not fail the import: the chunk is merged again with ON CONFLICT, and the
 * outcome is the one ON CONFLICT alone gives. Both with the chunk in autocommit and inside pacing's transaction
 * (maxLockWaiters), where the first try runs under a savepoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import { csvImportManifest, importSummary, runImport, scratchDir, stagingTables, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
await db.pool.query('CREATE TABLE items (id int PRIMARY KEY, note text)');

const ROWS = 100;
/** In the sixth chunk of ten (ids 51..60): five chunks of new keys go in before it. */
const RACED_ID = 55;
const file = writeCsv(dir, 'items.csv', `id,note\n${Array.from({ length: ROWS }, (_, i) => `${i + 1},from the file`).join('\n')}\n`);

/**
 * Until the import's INSERT waits for the other session's transaction, whose uncommitted row has the same key. (The
 * unpaced import first waits on the table lock of the empty-target check, which times out after 5 s.)
 */
async function importWaitsOnLock(): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'transactionid' AND application_name LIKE 'bulkhead%'");
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the import never waited on the other session\'s row');
}

for (const paced of [false, true]) {
  test(`a new key that another session inserts meanwhile is updated, not refused${paced ? ' (paced, in a transaction)' : ''}`, async () => {
    // Not empty, so no fast path: one row out of the file's way.
    await db.pool.query("TRUNCATE items; INSERT INTO items VALUES (0, 'seed')");
    const other = await db.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query("INSERT INTO items VALUES ($1, 'from another session')", [RACED_ID]);
      const manifest = csvImportManifest(dir, `raced-${paced}`, {
        source: { path: file },
        target: { table: 'items', key: ['id'] },
        merge: { chunkRows: 10, ...(paced ? { pacing: { maxLockWaiters: 1000 } } : {}) },
      });
      const running = runImport(db.url, ['--manifest', manifest]);
      await importWaitsOnLock();
      await other.query('COMMIT');
      const result = await running;
      assert.equal(result.code, 0, result.stderr);
      const summary = importSummary(result);
      assert.deepEqual([summary.rowsInserted, summary.rowsUpdated, summary.rowsUnchanged], [ROWS - 1, 1, 0]);
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      other.release();
    }
    const { rows } = await db.pool.query<{ n: number; notes: string[] }>('SELECT count(*)::int AS n, array_agg(DISTINCT note) AS notes FROM items WHERE id > 0');
    assert.deepEqual(rows[0], { n: ROWS, notes: ['from the file'] });
    assert.deepEqual(await stagingTables(db.pool), []);
  });
}
