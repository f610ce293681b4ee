import { after, afterEach } from 'node:test';
import { basename } from 'node:path';
import pg from 'pg';

/** A database of one's own for a test file, on the run's server. */
export interface TestDatabase {
  /** Connection URL for the runners under test. */
  url: string;
  /** A pool for the test's own queries. */
  pool: pg.Pool;
}

/** The server that `npm test` started or was given. */
export function serverUrl(): string {
  const url = process.env.BULKHEAD_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('no test server: run through `npm test`, or set DATABASE_URL');
  return url;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Creates a database for the calling test file and drops it when every test in the file passed; a failure keeps
 * it for a look. Call at module level: `const db = await testDatabase(import.meta.url)`.
 */
export async function testDatabase(moduleUrl: string): Promise<TestDatabase> {
  const name = `t_${basename(moduleUrl, '.test.js').replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(serverUrl(), name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle client that the server drops (a test that terminates backends can hit a pid just reused by this pool)
  // must not crash the test process with an unhandled 'error'; the pool replaces it, and queries still fail loudly.
  pool.on('error', (err) => process.stderr.write(`test pool: an idle connection was dropped (${err.message})\n`));
  let allPassed = true;
  afterEach((t) => {
    // TestContext.passed exists on Node 20.12+, though @types/node 20 does not declare it yet.
    if ((t as { passed?: boolean }).passed === false) allPassed = false;
  });
  after(async () => {
    await pool.end();
    if (!allPassed) {
      process.stderr.write(`keeping database ${name} for inspection\n`);
      return;
    }
    const c = new pg.Client({ connectionString: serverUrl() });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return { url, pool };
}
