import type { CsvImportSpec } from '../../runners/shared/generated/csvimport.js';

/**
 * A CsvImport spec with every default filled in, as the API server stores it, for the operator's pure decisions:
 * an http source, table t keyed by id, chunks of 10. Each call builds a new object, so a test may change its copy.
 */
export function importSpec(overrides: Partial<CsvImportSpec> = {}): CsvImportSpec {
  return {
    database: { secretRef: { name: 'pg' } }, source: { url: 'http://x/a.csv', maxBytes: 10737418240, deadlineSeconds: 1800 },
    format: { header: true, delimiter: ',', quote: '"', nullString: '', encoding: 'UTF8' }, target: { table: 't', key: ['id'] },
    merge: { strategy: 'upsert', chunkRows: 10, updateChangedOnly: true }, errors: { maxRejected: 0 }, connections: 1, priority: 0,
    activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 60, ...overrides,
  };
}
