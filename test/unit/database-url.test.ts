import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveDatabaseUrl } from '../../runners/shared/database-url.js';
import { InvalidInputError } from '../../runners/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'bulkhead-db-url-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('precedence: --database-url, then --database-url-file, then DATABASE_URL (not for local), then the PG* variables', () => {
  const env = { DATABASE_URL: 'postgres://env@db/app' };
  const quiet = { warn: () => assert.fail('no warning expected') };
  assert.equal(resolveDatabaseUrl({ databaseUrl: 'postgres://flag@db/app' }, env, quiet), 'postgres://flag@db/app');
  assert.equal(resolveDatabaseUrl({ databaseUrlFile: file('url', 'postgres://file:pw@db/app\n') }, env, quiet), 'postgres://file:pw@db/app');
  assert.equal(resolveDatabaseUrl({}, env, quiet), 'postgres://env@db/app');
  assert.equal(resolveDatabaseUrl({}, env, { ...quiet, fromEnv: false }), undefined);
  assert.equal(resolveDatabaseUrl({}, {}, quiet), undefined);
});

test('a password on the command line draws a warning that does not repeat it', () => {
  const lines: string[] = [];
  const url = resolveDatabaseUrl({ databaseUrl: 'postgres://app:hunter2@db:5432/app' }, {}, { warn: (l) => lines.push(l) });
  assert.equal(url, 'postgres://app:hunter2@db:5432/app');
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /--database-url carries a password.*process list.*DATABASE_URL.*--database-url-file/);
  assert.doesNotMatch(lines[0] ?? '', /hunter2/);
});

test('a bad --database-url-file is refused by name, without quoting its text', () => {
  assert.throws(() => resolveDatabaseUrl({ databaseUrlFile: join(dir, 'missing') }, {}), (err: Error) => err instanceof InvalidInputError && /missing: cannot read it \(ENOENT\)/.test(err.message));
  assert.throws(() => resolveDatabaseUrl({ databaseUrlFile: file('two', 'postgres://a:secret1@db/x\npostgres://b@db/y\n') }, {}), (err: Error) => /expected one postgres:\/\/ URL on one line/.test(err.message) && !err.message.includes('secret1'));
  assert.throws(() => resolveDatabaseUrl({ databaseUrlFile: file('empty', '\n') }, {}), InvalidInputError);
  assert.throws(() => resolveDatabaseUrl({ databaseUrl: 'postgres://db/x', databaseUrlFile: file('url2', 'postgres://db/y') }, {}), /give one, not both/);
});
