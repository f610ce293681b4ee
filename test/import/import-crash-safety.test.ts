import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { testDatabase } from '../harness/test-database.js';
import { importSummary, runImport, scratchDir, stagingTables, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();

await db.pool.query(`
  CREATE TABLE events (id int PRIMARY KEY, label text NOT NULL, amount int);
  CREATE INDEX events_label ON events (label);
  CREATE INDEX events_amount ON events (amount);`);

const ROWS = 30_000;
const csv = ['id,label,amount', ...Array.from({ length: ROWS }, (_, i) => `${i + 1},event ${i + 1},${i % 97}`)].join('\n') + '\n';
const file = writeCsv(dir, 'events.csv', csv);
// The same rows out of key order, so the merge goes through the sorted, de-duplicated ready table.
const lines = csv.trim().split('\n');
const shuffled = writeCsv(dir, 'events-shuffled.csv', [lines[0], ...lines.slice(1).reverse()].join('\n') + '\n');

/** Signals the child once stderr shows the given phase. */
function signalAtPhase(phase: string, signal: NodeJS.Signals): (text: string, child: ChildProcess) => void {
  let sent = false;
  return (text, child) => {
    if (!sent && text.includes(`"phase":"${phase}"`)) {
      sent = true;
      child.kill(signal);
    }
  };
}

async function expectExactTarget(): Promise<void> {
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, min(id) AS lo, max(id) AS hi,
    bool_and(label = 'event ' || id AND amount = (id - 1) % 97) AS right FROM events`);
  assert.deepEqual(rows[0], { n: ROWS, ids: ROWS, lo: 1, hi: ROWS, right: true });
}

async function indexNames(): Promise<string[]> {
  const { rows } = await db.pool.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'events' ORDER BY 1");
  return rows.map((r) => r.indexname);
}

test('SIGTERM during COPY aborts it, drops staging and exits 143 with the target untouched', async () => {
  await db.pool.query("INSERT INTO events VALUES (0, 'seed', 0)");
  const input = new PassThrough();
  input.write('id,label,amount\n1,a,1\n');
  const started = Date.now();
  const result = await runImport(db.url, ['--file', '-', '--table', 'events', '--key', 'id', '--name', 'term-copy'], {
    stdin: input,
    onStderr: signalAtPhase('copy', 'SIGTERM'),
  });
  input.end();
  assert.equal(result.code, 143, result.stderr);
  assert.ok(Date.now() - started < 15_000, 'stops within seconds');
  assert.match(result.stderr, /stopped by SIGTERM/);
  assert.deepEqual(await stagingTables(db.pool), []);
  assert.deepEqual((await db.pool.query('SELECT id FROM events')).rows, [{ id: 0 }]);
  await db.pool.query('TRUNCATE events');
});

test('SIGTERM during the merge rolls back the chunk in flight, drops staging and exits 143; a rerun completes exactly', async () => {
  await db.pool.query("INSERT INTO events VALUES (0, 'seed', 0)"); // not empty: no fast path, chunks instead
  const result = await runImport(db.url, ['--file', shuffled, '--table', 'events', '--key', 'id', '--chunk-rows', '10', '--name', 'term-merge'], {
    onStderr: signalAtPhase('merge', 'SIGTERM'),
  });
  assert.equal(result.code, 143, result.stderr);
  assert.equal(importSummary(result).phase, 'Failed');
  assert.deepEqual(await stagingTables(db.pool), []);
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id > 0');
  assert.ok((rows[0]?.n ?? 0) < ROWS && (rows[0]?.n ?? 0) % 10 === 0, `whole chunks only, got ${rows[0]?.n}`);
  const rerun = await runImport(db.url, ['--file', file, '--table', 'events', '--key', 'id', '--name', 'term-merge']);
  assert.equal(rerun.code, 0, rerun.stderr);
  await db.pool.query('DELETE FROM events WHERE id = 0');
  await expectExactTarget();
  await db.pool.query('TRUNCATE events');
});

test('SIGKILL during the chunked merge, then a rerun: exact rows, no duplicates, no leftover staging', async () => {
  await db.pool.query("INSERT INTO events VALUES (0, 'seed', 0)");
  const killed = await runImport(db.url, ['--file', file, '--table', 'events', '--key', 'id', '--chunk-rows', '10', '--name', 'kill-merge'], {
    onStderr: signalAtPhase('merge', 'SIGKILL'),
  });
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok((await stagingTables(db.pool)).length > 0, 'a killed run leaves its staging behind');
  const rerun = await runImport(db.url, ['--file', file, '--table', 'events', '--key', 'id', '--name', 'kill-merge']);
  assert.equal(rerun.code, 0, rerun.stderr);
  const s = importSummary(rerun);
  assert.equal((s.rowsInserted as number) + (s.rowsUnchanged as number), ROWS);
  assert.match(rerun.stderr, /dropped staging bulkhead\.\S+ left by an earlier run/);
  assert.deepEqual(await stagingTables(db.pool), []);
  await db.pool.query('DELETE FROM events WHERE id = 0');
  await expectExactTarget();
  await db.pool.query('TRUNCATE events');
});

test('SIGKILL during the empty-target fast path leaves the table empty with all its indexes; a rerun loads it', async () => {
  const before = await indexNames();
  const killed = await runImport(db.url, ['--file', file, '--table', 'events', '--key', 'id', '--name', 'kill-fast'], {
    onStderr: signalAtPhase('merge', 'SIGKILL'),
  });
  assert.equal(killed.signal, 'SIGKILL');
  // The server notices the dead client and rolls the transaction back; wait for its locks to go.
  for (let i = 0; i < 50; i++) {
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'bulkhead/import/%'");
    if (rows[0]?.n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(await indexNames(), before, 'every index is still there');
  assert.deepEqual((await db.pool.query('SELECT count(*)::int AS n FROM events')).rows, [{ n: 0 }]);
  const rerun = await runImport(db.url, ['--file', file, '--table', 'events', '--key', 'id', '--name', 'kill-fast']);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(importSummary(rerun).fastPath, true);
  assert.deepEqual(await indexNames(), before);
  await expectExactTarget();
});

test('a second run of the same import while one is running is refused', async () => {
  const input = new PassThrough();
  input.write('id,label,amount\n1,a,1\n');
  let second: Promise<{ code: number | null; stderr: string }> | undefined;
  const first = runImport(db.url, ['--file', '-', '--table', 'events', '--key', 'id', '--name', 'twice'], {
    stdin: input,
    onStderr: (text, child) => {
      if (!second && text.includes('"phase":"copy"')) {
        second = runImport(db.url, ['--file', file, '--table', 'events', '--key', 'id', '--name', 'twice']).then((r) => {
          child.kill('SIGTERM');
          return r;
        });
      }
    },
  });
  await first;
  input.end();
  const r = await second;
  assert.equal(r?.code, 1);
  assert.match(r?.stderr ?? '', /another run of import local\/twice is in progress/);
});
