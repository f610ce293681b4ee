import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { ident, literal } from '../../runners/shared/ident.js';
import { serverUrl, type TestDatabase } from './test-database.js';

/** A login role of the test's own, with no privilege beyond PUBLIC's, and the URL that logs in as it. */
export interface LoginRole {
  name: string;
  url: string;
}

/**
 * Creates a login role (roles are per server, so the name carries the process id) with a random password, and drops
 * it after the file's tests unless the whole server goes with them (`dropAfter: false`). The caller closes its own
 * sessions of the role first.
 */
export async function loginRole(db: Pick<TestDatabase, 'url' | 'pool'>, prefix: string, options: { dropAfter?: boolean } = {}): Promise<LoginRole> {
  const name = `${prefix}_${process.pid}`;
  const password = randomBytes(12).toString('hex');
  await db.pool.query(`DROP ROLE IF EXISTS ${ident(name)}`);
  await db.pool.query(`CREATE ROLE ${ident(name)} LOGIN PASSWORD ${literal(password)}`);
  if (options.dropAfter !== false) after(async () => {
    // The test's database may be gone by now (its own after hook drops it): drop the role through the server's.
    const c = new pg.Client({ connectionString: serverUrl() });
    await c.connect();
    // Closed however the drop ends: an open client would keep the test process alive.
    await c.query(`DROP ROLE IF EXISTS ${ident(name)}`).finally(() => c.end());
  });
  const url = new URL(db.url);
  url.username = name;
  url.password = password;
  return { name, url: url.toString() };
}
