import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipText } from '../../runners/shared/source-text.js';
import { unsafeRelativePath } from '../../runners/import/mounted-source.js';

test('source text in a message is cut to 64 bytes, the cut marked, never inside a character', () => {
  assert.equal(clipText('advertiser_id'), 'advertiser_id');
  const secret = 'password=hunter2;'.repeat(10);
  const shown = clipText(secret);
  assert.equal(shown, `${secret.slice(0, 64)}…[106 more bytes]`);
  assert.equal(clipText('é'.repeat(40)), `${'é'.repeat(32)}…[16 more bytes]`);
  assert.equal(clipText('€'.repeat(30)), `${'€'.repeat(21)}…[27 more bytes]`, 'a 3-byte character that does not fit is left out whole');
  assert.equal(clipText('abcdef', 3), 'abc…[3 more bytes]');
});

test('control and invisible characters in source text are shown as escapes', () => {
  assert.equal(clipText('a\nb\rc\td'), 'a\\nb\\rc\\td');
  assert.equal(clipText('x\u0000y\u001b[31mz'), 'x\\u0000y\\u001b[31mz');
  assert.equal(clipText('admin\u202etxt.exe\u200b'), 'admin\\u202etxt.exe\\u200b');
});

test('a path under a mount must be relative, without .. or empty segments', () => {
  for (const ok of ['a.csv', 'exports/a.csv', './a.csv', 'a..b/c...csv']) assert.equal(unsafeRelativePath(ok), undefined, ok);
  assert.match(unsafeRelativePath('/etc/passwd') ?? '', /relative/);
  for (const bad of ['..', '../x', 'a/../../x', 'a/..']) assert.match(unsafeRelativePath(bad) ?? '', /\.\. segment/, bad);
  for (const bad of ['a//b', 'a/']) assert.match(unsafeRelativePath(bad) ?? '', /empty segment/, bad);
  assert.match(unsafeRelativePath('a\0b') ?? '', /NUL/);
});
