import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../../runners/shared/spec-schema.js';
import type { CsvImportSpec } from '../../runners/shared/generated/csvimport.js';

test('a minimal CsvImport spec is defaulted as the API server would', () => {
  const spec = validateSpec<CsvImportSpec>('CsvImport', { source: { path: 'a.csv' }, target: { table: 't', key: ['id'] } }, 'test');
  assert.deepEqual(spec.format, { header: true, delimiter: ',', quote: '"', nullString: '', encoding: 'UTF8' });
  assert.deepEqual(spec.merge, { strategy: 'upsert', chunkRows: 50000, updateChangedOnly: true });
  assert.deepEqual(spec.errors, { maxRejected: 0 });
  assert.equal(spec.connections, 1);
});

test('CEL rules from the CRD are enforced: one source, a header, one transform per column', () => {
  assert.throws(() => validateSpec('CsvImport', { source: {}, target: { table: 't', key: ['id'] } }, 'test'),
    /spec\.source: Invalid value: set exactly one of url, configMap, persistentVolumeClaim and path/);
  assert.throws(() => validateSpec('CsvImport', { source: { path: 'a' }, format: { header: false }, target: { table: 't', key: ['id'] } }, 'test'),
    /spec\.format: Invalid value: header must be true/);
  assert.throws(() => validateSpec('CsvImport', { source: { path: 'a' }, format: { delimiter: '"' }, target: { table: 't', key: ['id'] } }, 'test'),
    /delimiter and quote must differ/);
  assert.throws(() => validateSpec('CsvImport', {
    source: { path: 'a' }, target: { table: 't', key: ['id'], transforms: { x: { lower: 'a', upper: 'b' } } },
  }, 'test'), /spec\.target\.transforms\.x: Invalid value: must NOT have more than 1 properties/);
});

test('unknown fields and wrong types are named with their path', () => {
  assert.throws(() => validateSpec('CsvImport', { source: { path: 'a', colour: 1 }, target: { table: 't', key: 'id' } }, 'm.yaml'),
    (err: Error) => err.message.startsWith('m.yaml: CsvImport spec is invalid') &&
      err.message.includes('spec.source.colour: unknown field "colour"') && err.message.includes('spec.target.key: Invalid value: must be array'));
});
