/**
 * An import by a role that may write the target but does not own it: the empty-target fast path cannot drop and
 * rebuild the table's indexes (only the owner may), so it loads with them in place, still in one transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import { loginRole } from '../harness/login-role.js';
import { ident } from '../../runners/shared/ident.js';
import { tenantGrantStatements } from '../../runners/shared/bulkhead-schema/tenant-grants.js';
import { importSummary, runImport, scratchDir, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
const writer = await loginRole(db, 'bh_target_writer');
await db.pool.query('CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL, region text)');
await db.pool.query('CREATE INDEX accounts_email ON accounts (email)');
await db.pool.query(`GRANT SELECT, INSERT, UPDATE ON accounts TO ${ident(writer.name)}`);

test('a role that only writes an empty, indexed target loads it on the fast path with the indexes in place', async () => {
  // The owner of everything runs first, so schema bulkhead exists; the writer gets what a tenant needs in it.
  const seed = writeCsv(dir, 'seed.csv', 'id,email,region\n');
  assert.equal((await runImport(db.url, ['--file', seed, '--table', 'accounts', '--key', 'id'])).code, 0);
  await db.pool.query(tenantGrantStatements(writer.name));

  const rows = Array.from({ length: 500 }, (_, i) => `${i + 1},user${i + 1}@example.com,eu`).join('\n');
  const result = await runImport(writer.url, ['--file', writeCsv(dir, 'accounts.csv', `id,email,region\n${rows}\n`), '--table', 'accounts', '--key', 'id']);
  assert.equal(result.code, 0, result.stderr);
  const summary = importSummary(result);
  assert.equal(summary.fastPath, true);
  assert.equal(summary.rowsInserted, 500);
  assert.match(result.stderr, /fast-path-indexes-kept/);
  const { rows: indexes } = await db.pool.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'accounts' ORDER BY 1");
  assert.deepEqual(indexes.map((r) => r.indexname), ['accounts_email', 'accounts_pkey']);
  const { rows: count } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts');
  assert.equal(count[0]?.n, 500);
});
