/**
 * The operator's SQL for an import's live control and pacing state, on real PostgreSQL with two ordinary roles (no
 * control plane; test/operator/operator-pacing.test.ts runs the same through the operator): bulkhead.import_control rows are written only when they change, each role's own (row-level
 * security), deleted with the CsvImport; a server with no bulkhead schema yet is not an error; and the pacing state
 * is read from import_progress even on a schema still at version 2, which has no pacing column.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { readImportProgress } from '../../operator/csv-import/import-progress.js';
import { deleteImportControl, writeImportControl } from '../../operator/csv-import/sql/import-control.js';
import { createMigrationsTable, createSchema } from '../../runners/shared/bulkhead-schema/sql/create-schema.js';
import { MIGRATIONS } from '../../runners/shared/bulkhead-schema/migrations.js';
import { tenantGrantStatements } from '../../runners/shared/bulkhead-schema/tenant-grants.js';
import { loginRole } from '../harness/login-role.js';
import { testDatabase } from '../harness/test-database.js';

const db = await testDatabase(import.meta.url);
const alice = await loginRole(db, 'bh_control_alice');
const bob = await loginRole(db, 'bh_control_bob');
const pools = [alice, bob].map((r) => new pg.Pool({ connectionString: r.url, max: 1 }));
// The database is dropped WITH (FORCE) by testDatabase's after hook, which may run before this file's.
for (const p of pools) p.on('error', () => undefined);
const [asAlice, asBob] = pools as [pg.Pool, pg.Pool];
after(() => Promise.all(pools.map((p) => p.end())));

const ID = 'ns/adv';
const PACING = { maxLockWaiters: 2, minRowsPerSecond: 1000, minChunkRows: 1000, maxPauseSeconds: 10 };

let applied = 0;
/** Applies the migrations after the last one applied up to `version`, as the schema's owner (the test's superuser) would. */
async function migrateTo(version: number): Promise<void> {
  if (applied === 0) for (const q of [createSchema(), createMigrationsTable()]) await db.pool.query(q);
  for (const m of MIGRATIONS.filter((x) => x.version > applied && x.version <= version)) await db.pool.query(m.sql);
  applied = version;
}

test('with no bulkhead schema yet, writing and deleting the live control is not an error', async () => {
  assert.equal(await writeImportControl(asAlice, ID, { paused: true, pacing: null }), 'missing');
  assert.equal(await deleteImportControl(asAlice, ID), false);
});

test('a schema at version 2 (no pacing column yet) reads as merge progress without a pacing state', async () => {
  await migrateTo(2);
  await db.pool.query("INSERT INTO bulkhead.import_progress (owner, import, phase, rows_done, rows_total) VALUES ('" + alice.name + "', $1, 'merge', 40, 100)", [ID]);
  await db.pool.query(`GRANT USAGE ON SCHEMA bulkhead TO ${alice.name}; GRANT SELECT ON bulkhead.import_progress TO ${alice.name}`);
  const read = await readImportProgress(asAlice, 'ns', 'adv', { bytesProcessed: 9 });
  assert.deepEqual(read, { progress: { bytesProcessed: 9, tuplesProcessed: 40 }, pacing: undefined });
  assert.equal(await writeImportControl(asAlice, ID, { paused: false, pacing: null }), 'missing', 'no import_control before version 3');
});

test('the live control is written once per change, by value, and each role sees and deletes only its own row', async () => {
  await migrateTo(3);
  for (const r of [alice, bob]) await db.pool.query(tenantGrantStatements(r.name));
  assert.equal(await writeImportControl(asAlice, ID, { paused: false, pacing: PACING }), 'changed');
  assert.equal(await writeImportControl(asAlice, ID, { paused: false, pacing: PACING }), 'unchanged');
  const reordered = Object.fromEntries(Object.entries(PACING).reverse()) as typeof PACING;
  assert.equal(await writeImportControl(asAlice, ID, { paused: false, pacing: reordered }), 'unchanged', 'jsonb compares by value');
  assert.equal(await writeImportControl(asAlice, ID, { paused: true, pacing: PACING }), 'changed');
  assert.equal(await writeImportControl(asBob, ID, { paused: false, pacing: null }), 'changed', 'another role\'s import of the same name has its own row');
  const own = async (p: pg.Pool) => (await p.query<{ paused: boolean; pacing: unknown }>('SELECT paused, pacing FROM bulkhead.import_control WHERE import = $1', [ID])).rows;
  assert.deepEqual(await own(asAlice), [{ paused: true, pacing: PACING }]);
  assert.deepEqual(await own(asBob), [{ paused: false, pacing: null }]);
  assert.equal(await deleteImportControl(asAlice, ID), true);
  assert.deepEqual(await own(asAlice), []);
  assert.deepEqual(await own(asBob), [{ paused: false, pacing: null }], 'Bob\'s row stays');
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM bulkhead.import_control');
  assert.equal(rows[0]?.n, 1);
});

test('the pacing state the runner wrote is read with the merge progress, and not before the merge has begun', async () => {
  const state = { state: 'Throttled', signal: 'lockWaiters', value: '3 > 2', rowsPerSecond: 800, chunkRows: 5000, pauseMilliseconds: 200 };
  await db.pool.query("UPDATE bulkhead.import_progress SET pacing = $2 WHERE import = $1", [ID, JSON.stringify(state)]);
  const read = await readImportProgress(asAlice, 'ns', 'adv', undefined);
  assert.deepEqual(read, { progress: { bytesProcessed: 0, tuplesProcessed: 40 }, pacing: state });
  assert.deepEqual(await readImportProgress(asBob, 'ns', 'adv', undefined), { progress: undefined, pacing: undefined }, 'another role sees no row');
  await db.pool.query("UPDATE bulkhead.import_progress SET phase = 'copy' WHERE import = $1", [ID]);
  assert.deepEqual(await readImportProgress(asAlice, 'ns', 'adv', undefined), { progress: undefined, pacing: undefined });
});
