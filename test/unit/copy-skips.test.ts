import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maybeShortened, parseCopySkip } from '../../runners/import/copy-skips.js';
import { englishMessages } from '../../runners/import/stage-layout.js';

test('the NOTICEs of COPY ON_ERROR ignore are read for line, column and value; other notices are not', () => {
  assert.deepEqual(parseCopySkip('skipping row due to data type incompatibility at line 12 for column "c3": "say "hi""'),
    { copyLine: 12, stageColumn: 'c3', value: 'say "hi"' });
  assert.deepEqual(parseCopySkip('skipping row due to data type incompatibility at line 4 for column "c1": null input'),
    { copyLine: 4, stageColumn: 'c1', value: null });
  assert.equal(parseCopySkip('2 rows were skipped due to data type incompatibility'), undefined);
  assert.equal(parseCopySkip('schema "bulkhead" already exists, skipping'), undefined);
});

test('a value COPY printed at its 100-byte limit counts as possibly shortened', () => {
  assert.equal(maybeShortened(`${'x'.repeat(100)}...`), true);
  assert.equal(maybeShortened('abc...'), false);
  assert.equal(maybeShortened('x'.repeat(120)), false);
});

test('only English message locales choose typed staging', () => {
  assert.deepEqual(['C', 'C.UTF-8', 'POSIX', 'en_US.UTF-8', 'en', 'de_DE.UTF-8', '', 'es'].map(englishMessages),
    [true, true, true, true, true, false, false, false]);
});
