/**
 * A row that the target refuses mid-merge (CHECK, foreign key, secondary unique, a trigger that raises): exit 3,
 * the file line of the row and the constraint's name, exactly the chunks before it merged and counted, staging
 * dropped, and the import re-runnable once the row is fixed. A failure of the infrastructure mid-merge stays exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../harness/test-database.js';
import type { CliResult } from '../harness/run-cli.js';
import { importSummary, runImport, scratchDir, stagingTables, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

await db.pool.query(`
  CREATE TABLE parents (id int PRIMARY KEY);
  INSERT INTO parents SELECT generate_series(1, 5);
  CREATE TABLE items (id int PRIMARY KEY, qty int CONSTRAINT qty_not_negative CHECK (qty >= 0),
                      parent int CONSTRAINT items_parent_fk REFERENCES parents, email text CONSTRAINT items_email_unique UNIQUE, note text);
  CREATE FUNCTION items_guard() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.note LIKE 'forbidden%' THEN RAISE EXCEPTION 'items: the note may not be %', NEW.note; END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER items_guard BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION items_guard();`);

const ROWS = 100;
const CHUNK = 10;
/** The row with this id is on line id + 1 (the header is line 1), in the sixth chunk: lines 52..61. */
const BAD_ID = 57;
const good = (id: number) => `${id},${id % 7},${(id % 5) + 1},user${id}@example.com,note ${id}`;
const csvOf = (lines: string[]) => `id,qty,parent,email,note\n${lines.join('\n')}\n`;
const goodLines = () => Array.from({ length: ROWS }, (_, i) => good(i + 1));
const args = (file: string, name: string) => ['--file', file, '--table', 'items', '--key', 'id', '--chunk-rows', String(CHUNK), '--name', name];

/** A target that is not empty (so no fast path): one seed row, out of the file's way. */
async function seedTarget(): Promise<void> {
  await db.pool.query("TRUNCATE items; INSERT INTO items VALUES (0, 0, NULL, 'seed@example.com', 'seed')");
}

async function fileRowsIn(): Promise<{ n: number; max: number | null }> {
  const { rows } = await db.pool.query<{ n: number; max: number | null }>('SELECT count(*)::int AS n, max(id) AS max FROM items WHERE id > 0');
  return rows[0] as { n: number; max: number | null };
}

/** The refusal is final, names the line and the constraint, and the summary counts exactly what the table holds. */
async function expectRefused(result: CliResult, line: number, reason: RegExp, merged: number): Promise<void> {
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.messages, new RegExp(`\\.csv:${line}: the target refused this row, and the merge stopped: `));
  assert.match(result.messages, reason);
  assert.match(result.messages, merged === 0 ? /Nothing was merged/ : new RegExp(`The ${merged} rows of the chunks before it are merged \\(${merged} inserted, 0 updated, 0 unchanged\\)`));
  const summary = importSummary(result);
  assert.equal(summary.phase, 'Failed');
  assert.match(String(summary.error), new RegExp(`:${line}: the target refused this row`));
  const inTable = await fileRowsIn();
  assert.deepEqual(inTable, { n: merged, max: merged === 0 ? null : merged }, 'exactly the chunks before the refused row are merged');
  assert.deepEqual([summary.rowsInserted, summary.rowsUpdated, summary.rowsUnchanged], [inTable.n, 0, 0], 'the summary counts what is in');
  assert.deepEqual(await stagingTables(db.pool), []);
}

/** Once the file is fixed the same import completes: rows merged before come back unchanged. */
async function expectRerunCompletes(name: string, merged: number): Promise<void> {
  const rerun = await runImport(db.url, args(writeCsv(dir, `${name}-fixed.csv`, csvOf(goodLines())), name));
  assert.equal(rerun.code, 0, rerun.stderr);
  const summary = importSummary(rerun);
  assert.deepEqual([summary.rowsInserted, summary.rowsUnchanged], [ROWS - merged, merged]);
  assert.deepEqual(await fileRowsIn(), { n: ROWS, max: ROWS });
}

const cases: [string, string, RegExp][] = [
  ['check', `${BAD_ID},-1,1,bad${BAD_ID}@example.com,x`, /violates check constraint "qty_not_negative".*\[SQLSTATE 23514, constraint "qty_not_negative"\]/],
  ['foreign-key', `${BAD_ID},1,99,bad${BAD_ID}@example.com,x`, /violates foreign key constraint "items_parent_fk".*\[SQLSTATE 23503, constraint "items_parent_fk"\]/],
  // The same email as an earlier line of the file, merged in an earlier chunk.
  ['unique', `${BAD_ID},1,1,user30@example.com,x`, /duplicate key value violates unique constraint "items_email_unique".*\[SQLSTATE 23505, constraint "items_email_unique"\]/],
  ['trigger', `${BAD_ID},1,1,bad${BAD_ID}@example.com,forbidden`, /items: the note may not be forbidden \[SQLSTATE P0001, raised in PL\/pgSQL function items_guard\(\) line 3 at RAISE\]/],
];

for (const [what, badLine, reason] of cases) {
  test(`a ${what} violation in a later chunk exits 3 with its line and constraint; the chunks before it stay merged`, async () => {
    await seedTarget();
    const lines = goodLines();
    lines[BAD_ID - 1] = badLine;
    const result = await runImport(db.url, args(writeCsv(dir, `${what}.csv`, csvOf(lines)), what));
    await expectRefused(result, BAD_ID + 1, reason, 50);
    await expectRerunCompletes(what, 50);
  });
}

test('two new rows of one chunk that share a secondary unique value: the later line is named', async () => {
  await seedTarget();
  const lines = goodLines();
  lines[BAD_ID - 4] = `${BAD_ID - 3},1,1,twice@example.com,x`;
  lines[BAD_ID - 1] = `${BAD_ID},1,1,twice@example.com,x`;
  const result = await runImport(db.url, args(writeCsv(dir, 'twice.csv', csvOf(lines)), 'twice'));
  await expectRefused(result, BAD_ID + 1, /\(Key \(email\)=\(twice@example\.com\) already exists\.\)/, 50);
});

test('a file out of key order is merged from the ready table, and the refused row is still named by its file line', async () => {
  await seedTarget();
  const lines = goodLines();
  lines[BAD_ID - 1] = `${BAD_ID},-5,1,bad@example.com,x`;
  const result = await runImport(db.url, args(writeCsv(dir, 'reversed.csv', csvOf(lines.reverse())), 'reversed'));
  // Line 2 holds id 100: id 57 is on line 45. The ready table is in key order, so ids 1..50 were merged first.
  await expectRefused(result, ROWS - BAD_ID + 2, /qty_not_negative/, 50);
});

test('a deferred foreign key, checked only at commit, is still traced to its line', async () => {
  await db.pool.query(`CREATE TABLE deferred_items (id int PRIMARY KEY, parent int CONSTRAINT deferred_parent_fk REFERENCES parents DEFERRABLE INITIALLY DEFERRED);
    INSERT INTO deferred_items VALUES (0, NULL)`);
  const lines = Array.from({ length: 30 }, (_, i) => `${i + 1},${i === 24 ? 99 : 1}`);
  const result = await runImport(db.url, ['--file', writeCsv(dir, 'deferred.csv', `id,parent\n${lines.join('\n')}\n`), '--table', 'deferred_items', '--key', 'id', '--chunk-rows', '10', '--name', 'deferred']);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.messages, /deferred\.csv:26: the target refused this row, .*\[SQLSTATE 23503, constraint "deferred_parent_fk"\]\. The 20 rows of the chunks before it are merged/);
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM deferred_items WHERE id > 0');
  assert.equal(rows[0]?.n, 20);
});

test('into an empty target (the fast path, all or nothing) a refused row exits 3 with its line and nothing merged', async () => {
  await db.pool.query('TRUNCATE items');
  const lines = goodLines();
  lines[BAD_ID - 1] = `${BAD_ID},-1,1,bad@example.com,x`;
  const result = await runImport(db.url, args(writeCsv(dir, 'empty-target.csv', csvOf(lines)), 'empty-target'));
  await expectRefused(result, BAD_ID + 1, /qty_not_negative/, 0);
  assert.match(result.messages, /into an empty table the rows go in all at once or not at all/);
  const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'items'");
  assert.equal(rows[0]?.n, 2, 'the fast path left every index in place');
});

test('CSV text that a trigger\'s message quotes reaches the message only clipped', async () => {
  await seedTarget();
  const secret = 'password=hunter2-'.repeat(12);
  const lines = goodLines();
  lines[BAD_ID - 1] = `${BAD_ID},1,1,bad@example.com,forbidden ${secret}`;
  const result = await runImport(db.url, args(writeCsv(dir, 'secret.csv', csvOf(lines)), 'secret'));
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.messages, /secret\.csv:58: .*: items: the note may not be forbidden password=hunter2-.*…\[\d+ more bytes\] \[SQLSTATE P0001/);
  assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret), 'the value is never shown whole');
});

test('an infrastructure failure mid-merge (the session terminated) stays exit 1, with the chunks before it counted', async () => {
  await seedTarget();
  // A row the file changes, locked by another session: the merge waits on it in the chunk of lines 72..81 (after
  // the fast path, which cannot lock the table meanwhile, gives up within 5 s).
  await db.pool.query("INSERT INTO items VALUES (75, 1, 1, 'other@example.com', 'old')");
  const blocker = await db.pool.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM items WHERE id = 75 FOR UPDATE');
    const running = runImport(db.url, args(writeCsv(dir, 'infra.csv', csvOf(goodLines())), 'infra'));
    let pid: number | undefined;
    for (let i = 0; i < 300 && pid === undefined; i++) {
      const { rows } = await db.pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'bulkhead/import/%/infra' AND wait_event = 'transactionid'");
      pid = rows[0]?.pid;
      if (pid === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(pid, 'the merge waits on the locked row');
    await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    const result = await running;
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /the target refused/);
    const summary = importSummary(result);
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE id > 0 AND id <> 75');
    assert.equal(rows[0]?.n, 70, 'the seven chunks before the locked row are merged');
    assert.equal(summary.rowsInserted, 70);
  } finally {
    await blocker.query('ROLLBACK');
    blocker.release();
  }
});
