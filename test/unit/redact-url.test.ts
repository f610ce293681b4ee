import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from '../../runners/shared/connection.js';

test('a connection URL is printed without its password, query string or fragment', () => {
  assert.equal(redactUrl('postgres://app:s3cret@db:5432/app?sslpassword=x'), 'postgres://app:***@db:5432/app');
  assert.equal(redactUrl('postgres://app@db/app'), 'postgres://app@db/app');
});

test('a password with an unencoded # or ? is never shown, even in part', () => {
  for (const url of ['postgres://app:2024#Spring@db/app', 'postgres://app:x?y@db/app']) {
    const shown = redactUrl(url);
    assert.ok(!shown.includes('Spring') && !shown.includes('x?y'), shown);
  }
  assert.equal(redactUrl('not a url'), '<unparseable URL>');
});
