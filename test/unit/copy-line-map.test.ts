import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CopyLineMap } from '../../runners/import/copy-line-map.js';

test('COPY line numbers map back to file lines across gaps and multi-line records', () => {
  const map = new CopyLineMap();
  // File: header on line 1; records on lines 2, 3; line 4 rejected; a record on 5-7 (two breaks COPY counts); 8; blank 9; 10.
  map.add(2, 0); //  COPY line 1
  map.add(3, 0); //  COPY line 2
  map.add(5, 2); //  COPY line 5 (its last line)
  map.add(8, 0); //  COPY line 6
  map.add(10, 0); // COPY line 7
  assert.deepEqual([1, 2, 5, 6, 7].map((l) => map.fileLine(l)), [2, 3, 5, 8, 10]);
  assert.equal(map.fileLine(0), undefined);
});

test('a file of one-line records keeps one entry however long it is', () => {
  const map = new CopyLineMap();
  for (let i = 0; i < 100_000; i++) map.add(i + 2, 0);
  assert.equal(map.fileLine(99_999), 100_000);
  assert.equal((map as unknown as { at: number[] }).at.length, 1);
});
