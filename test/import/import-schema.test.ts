/**
 * bulkhead's own schema is versioned: a fresh server is migrated, a server with the tables from before versioning
 * is upgraded with its rows, first runs that race migrate once, an older runner refuses a newer schema, and a
 * second role either gets the exact GRANTs to ask for or, once granted, works without seeing the first role's rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../runners/shared/bulkhead-schema/migrations.js';
import { SCHEMA_LOCK_KEY } from '../../runners/shared/bulkhead-schema/sql/schema-lock.js';
import { ident } from '../../runners/shared/ident.js';
import { loginRole } from '../harness/login-role.js';
import type { CliResult } from '../harness/run-cli.js';
import { testDatabase } from '../harness/test-database.js';
import { importSummary, runImport, scratchDir, stagingTables, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
const dir = scratchDir();
await db.pool.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric)');
// At the top level, so that they are dropped after the database (which holds what they own) is.
const owner = await loginRole(db, 'bh_schema_owner');
const tenant = await loginRole(db, 'bh_Schema-tenant'); // a name that must be quoted

/** Three rows, one of them rejected for a price that is not a number: its raw text lands in import_rejects. */
function csvWithReject(secret: string): string {
  return writeCsv(dir, `${secret}.csv`, `id,name,price\n1,one,1.5\n2,two,${secret}\n3,three,3\n`);
}

function importInto(url: string, table: string, name: string, file: string): Promise<CliResult> {
  return runImport(url, ['--file', file, '--table', table, '--key', 'id', '--max-rejected', '5', '--name', name]);
}

/** As far as bulkhead is concerned, a server that never ran it. */
async function dropBulkheadSchema(): Promise<void> {
  await db.pool.query('DROP SCHEMA IF EXISTS bulkhead CASCADE');
}

async function appliedVersions(): Promise<number[]> {
  const { rows } = await db.pool.query<{ version: number }>('SELECT version FROM bulkhead.schema_migrations ORDER BY version');
  return rows.map((r) => r.version);
}

async function countOf(table: string): Promise<number | undefined> {
  return (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n;
}

const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

/** A session holding the migrations' advisory lock until release() is called. */
async function holdSchemaLock(): Promise<{ client: pg.Client; release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [SCHEMA_LOCK_KEY]);
  return { client, release: async () => { await client.query('COMMIT'); await client.end(); } };
}

/** Waits until `n` sessions wait for the schema lock (a one-key advisory lock: classid, objid are its halves). */
async function untilWaitingForSchemaLock(n: number): Promise<void> {
  const key = BigInt(SCHEMA_LOCK_KEY);
  const [hi, lo] = [Number(key >> 32n), Number(key & 0xffffffffn)];
  for (let i = 0; i < 600; i++) {
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'
      AND classid = $1 AND objid = $2 AND objsubid = 1 AND NOT granted`, [hi, lo]);
    if ((rows[0]?.n ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`fewer than ${n} runs waited for the schema lock within 60 s`);
}

test('a fresh server is migrated to the latest version, and a run on a current schema takes no lock', async () => {
  await dropBulkheadSchema();
  const first = await importInto(db.url, 'items', 'fresh', csvWithReject('fresh-abc'));
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(await appliedVersions(), ALL_VERSIONS);
  assert.equal(LATEST_SCHEMA_VERSION, ALL_VERSIONS.at(-1));
  const { rows } = await db.pool.query<{ value: string }>("SELECT value FROM bulkhead.import_rejects WHERE import = 'local/fresh'");
  assert.deepEqual(rows.map((r) => r.value), ['fresh-abc']);

  // Another session holds the lock: a run that took it would wait until the lock is let go after a minute.
  const lock = await holdSchemaLock();
  const second = importInto(db.url, 'items', 'fresh-again', csvWithReject('fresh-def'));
  const finished = await Promise.race([second, new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000))]).finally(() => lock.release());
  assert.ok(finished, 'the run waited for the schema lock');
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual(await appliedVersions(), ALL_VERSIONS);
});

test('a server with the unversioned tables of earlier releases is upgraded, and keeps their rows', async () => {
  await dropBulkheadSchema();
  // The DDL earlier releases ran on every import, verbatim.
  await db.pool.query(`
      CREATE SCHEMA IF NOT EXISTS bulkhead;
      CREATE TABLE IF NOT EXISTS bulkhead.import_rejects (
        import text NOT NULL, line bigint NOT NULL, column_name text NOT NULL, reason text NOT NULL, value text,
        recorded_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX IF NOT EXISTS import_rejects_import_line ON bulkhead.import_rejects (import, line);
      CREATE TABLE IF NOT EXISTS bulkhead.import_progress (
        import text PRIMARY KEY, phase text NOT NULL, rows_done bigint NOT NULL, rows_total bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now());`);
  await db.pool.query(`INSERT INTO bulkhead.import_rejects (import, line, column_name, reason, value) VALUES ('local/kept', 7, 'price', 'bad', 'old-value');
    INSERT INTO bulkhead.import_progress (import, phase, rows_done, rows_total) VALUES ('local/old', 'merge', 5, 10), ('local/other', 'merge', 1, 2)`);

  const result = await importInto(db.url, 'items', 'old', csvWithReject('upgrade-abc'));
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await appliedVersions(), ALL_VERSIONS);
  const { rows: me } = await db.pool.query<{ me: string }>('SELECT current_user AS me');
  const { rows: rejects } = await db.pool.query("SELECT import, line, value, owner FROM bulkhead.import_rejects ORDER BY import, line");
  // Rows from before belong to the role that migrated; the run wrote its own next to them.
  assert.deepEqual(rejects, [
    { import: 'local/kept', line: '7', value: 'old-value', owner: me[0]?.me },
    { import: 'local/old', line: '3', value: 'upgrade-abc', owner: me[0]?.me },
  ]);
  const { rows: progress } = await db.pool.query('SELECT import, phase, rows_done::int, rows_total::int FROM bulkhead.import_progress ORDER BY import');
  assert.deepEqual(progress, [
    { import: 'local/old', phase: 'merge', rows_done: 2, rows_total: 2 },
    { import: 'local/other', phase: 'merge', rows_done: 1, rows_total: 2 },
  ]);
  const { rows: rls } = await db.pool.query(`SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
    WHERE relnamespace = 'bulkhead'::regnamespace AND relname IN ('import_rejects', 'import_progress') ORDER BY relname`);
  assert.deepEqual(rls, [
    { relname: 'import_progress', relrowsecurity: true, relforcerowsecurity: true },
    { relname: 'import_rejects', relrowsecurity: true, relforcerowsecurity: true },
  ]);
});

test('two first runs racing on a fresh server both succeed, and each migration is applied once', async () => {
  await dropBulkheadSchema();
  // Holding the lock lines both runs up behind it, so they race for the migration at the same instant.
  const lock = await holdSchemaLock();
  let runs: Promise<CliResult>[];
  try {
    runs = ['race-a', 'race-b'].map((name) => importInto(db.url, 'items', name, csvWithReject(name)));
    await untilWaitingForSchemaLock(2);
  } finally {
    await lock.release();
  }
  for (const run of await Promise.all(runs)) assert.equal(run.code, 0, run.stderr);
  const { rows } = await db.pool.query<{ version: number; n: number }>('SELECT version, count(*)::int AS n FROM bulkhead.schema_migrations GROUP BY version ORDER BY version');
  assert.deepEqual(rows, ALL_VERSIONS.map((version) => ({ version, n: 1 })));
});

test('a schema newer than the runner knows is refused with exit 2, before anything is staged or merged', async () => {
  await db.pool.query('DELETE FROM items');
  await db.pool.query('INSERT INTO bulkhead.schema_migrations (version, name) VALUES ($1, $2)', [LATEST_SCHEMA_VERSION + 1, 'from a later release']);
  try {
    const result = await importInto(db.url, 'items', 'newer', csvWithReject('newer-abc'));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.messages, new RegExp(`schema bulkhead is at version ${LATEST_SCHEMA_VERSION + 1}, newer than this runner knows \\(${LATEST_SCHEMA_VERSION}\\)`));
    assert.equal(importSummary(result).phase, 'Failed');
    assert.equal(await countOf('items'), 0, 'nothing was merged');
    assert.deepEqual(await stagingTables(db.pool), []);
  } finally {
    await db.pool.query('DELETE FROM bulkhead.schema_migrations WHERE version > $1', [LATEST_SCHEMA_VERSION]);
  }
});

test('a second role is refused with the exact GRANTs to run; once granted it imports, and neither role sees the other\'s rejects', async () => {
  await dropBulkheadSchema();
  const { rows: [database] } = await db.pool.query<{ name: string }>('SELECT current_database() AS name');
  await db.pool.query(`GRANT CREATE ON DATABASE ${ident(database?.name ?? '')} TO ${ident(owner.name)};
    CREATE TABLE owner_items (id int PRIMARY KEY, name text NOT NULL, price numeric);
    ALTER TABLE owner_items OWNER TO ${ident(owner.name)};
    CREATE TABLE tenant_items (id int PRIMARY KEY, name text NOT NULL, price numeric);
    ALTER TABLE tenant_items OWNER TO ${ident(tenant.name)};`);

  // No schema yet, and the tenant may not create one: the statement that would make it the owner.
  const early = await importInto(tenant.url, 'tenant_items', 'shared-name', csvWithReject('tenant-early'));
  assert.equal(early.code, 2, early.stderr);
  assert.ok(early.messages.includes(`schema bulkhead does not exist and role ${ident(tenant.name)} may not create it; nothing was staged or merged. ` +
    `Have a superuser run: CREATE SCHEMA bulkhead AUTHORIZATION ${ident(tenant.name)};`), early.stderr);

  const first = await importInto(owner.url, 'owner_items', 'shared-name', csvWithReject('owner-secret'));
  assert.equal(first.code, 0, first.stderr);
  const asOwner = new pg.Client({ connectionString: owner.url });
  const asTenant = new pg.Client({ connectionString: tenant.url });
  await asOwner.connect();
  await asTenant.connect();
  try {
    // Staging the owner's killed run left behind (its lock is free): not the tenant's to drop.
    await asOwner.query('CREATE TABLE bulkhead.left_behind_0123abcd_stage (_line bigint)');

    const refused = await importInto(tenant.url, 'tenant_items', 'shared-name', csvWithReject('tenant-secret'));
    assert.equal(refused.code, 2, refused.stderr);
    const t = ident(tenant.name);
    const grants = `GRANT USAGE, CREATE ON SCHEMA bulkhead TO ${t}; GRANT SELECT ON TABLE bulkhead.schema_migrations TO ${t}; ` +
      `GRANT SELECT, INSERT, DELETE ON TABLE bulkhead.import_rejects TO ${t}; GRANT SELECT, INSERT, UPDATE ON TABLE bulkhead.import_progress TO ${t}; ` +
      `GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE bulkhead.import_control TO ${t}; GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE bulkhead.worker_signals TO ${t}; ` +
      `GRANT EXECUTE ON FUNCTION bulkhead.worker_latency(real) TO ${t};`;
    assert.ok(refused.messages.includes(`role ${t} lacks privileges on schema bulkhead; nothing was staged or merged. ` +
      `Have its owner ${ident(owner.name)} or a superuser run: ${grants}`), refused.stderr);
    assert.ok(!refused.stderr.includes(new URL(tenant.url).password), 'the password is never printed');
    assert.equal(await countOf('tenant_items'), 0, 'nothing was merged');

    // The owner runs exactly the statements the message names.
    await asOwner.query(grants);
    const granted = await importInto(tenant.url, 'tenant_items', 'shared-name', csvWithReject('tenant-secret'));
    assert.equal(granted.code, 0, granted.stderr);
    assert.equal(importSummary(granted).rowsRejected, 1, 'only its own reject counts, not the owner\'s of the same import name');
    assert.equal(await countOf('tenant_items'), 2);
    assert.deepEqual(await stagingTables(db.pool), ['left_behind_0123abcd_stage'], 'the owner\'s staging is left alone');

    const values = async (c: pg.Client) => (await c.query<{ value: string }>('SELECT value FROM bulkhead.import_rejects')).rows.map((r) => r.value);
    assert.deepEqual(await values(asTenant), ['tenant-secret']);
    assert.deepEqual(await values(asOwner), ['owner-secret'], 'row-level security is forced on the table\'s owner too');
    assert.equal((await asTenant.query('DELETE FROM bulkhead.import_rejects')).rowCount, 1, 'the tenant deletes only its own');
    assert.deepEqual(await values(asOwner), ['owner-secret']);
    await assert.rejects(asTenant.query(`INSERT INTO bulkhead.import_rejects (import, line, column_name, reason, owner)
      VALUES ('local/shared-name', 1, 'x', 'forged', $1)`, [owner.name]), /row-level security/);
    await assert.rejects(asTenant.query('DROP TABLE bulkhead.left_behind_0123abcd_stage'), /must be owner/);
    const progress = (await asTenant.query('SELECT import, owner FROM bulkhead.import_progress')).rows;
    assert.deepEqual(progress, [{ import: 'local/shared-name', owner: tenant.name }]);

    // Worker latency: each role sees and writes only its own rows, and reads everyone's only as aggregates.
    const publish = "INSERT INTO bulkhead.worker_signals (worker, window_seconds, claims, claim_p95_ms, completions, completion_p95_ms) VALUES ($1, 3, $2, $3, $2, $3)";
    await asOwner.query(publish, ['owner-pod', 10, 2]);
    await asTenant.query(publish, ['tenant-pod', 30, 6]);
    assert.deepEqual((await asTenant.query('SELECT worker FROM bulkhead.worker_signals')).rows, [{ worker: 'tenant-pod' }]);
    assert.equal((await asTenant.query("UPDATE bulkhead.worker_signals SET claims = 0 WHERE worker = 'owner-pod'")).rowCount, 0, 'another role\'s row is out of reach');
    const { rows: [seen] } = await asTenant.query<{ workers: number; claim_p95_ms: number }>('SELECT workers, claim_p95_ms FROM bulkhead.worker_latency(60)');
    assert.deepEqual(seen, { workers: 2, claim_p95_ms: 5 }, 'the aggregate covers both roles\' workers, weighted by their statements');
  } finally {
    await asOwner.end();
    await asTenant.end();
  }
});
