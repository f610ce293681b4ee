import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvRecordScanner, type ScannedRecord } from '../../runners/import/csv-records.js';
import { RecordChecks, type KeyOrder } from '../../runners/import/record-checks.js';

const format = { header: true, delimiter: ',', quote: '"', nullString: '', encoding: 'UTF8' as const };

function run(csv: string, notNull: number[], integerKey: number | undefined): { problems: (string | undefined)[]; order: KeyOrder } {
  const checks = new RecordChecks({ notNull: notNull.map((field) => ({ field, column: `c${field}` })), integerKey }, format);
  const problems: (string | undefined)[] = [];
  const scanner = new CsvRecordScanner(0x2c, 0x22);
  const emit = (r: ScannedRecord): void => {
    const p = checks.check(r);
    problems.push(p ? `${p.field}: ${p.reason}` : undefined);
  };
  scanner.scan(Buffer.from(csv), emit);
  scanner.finish(emit);
  return { problems, order: checks.keyOrder };
}

test('an unquoted empty field is NULL in a NOT NULL column; a quoted one is an empty string', () => {
  const { problems } = run('1,a,x\n2,,x\n3,"",x\n4,"a,b",\n', [0, 1], undefined);
  assert.deepEqual(problems, [undefined, '2: null value in a column that must not be null', undefined, undefined]);
});

test('integer keys in strictly increasing order are recognised, with quoted commas before them', () => {
  assert.equal(run('"a,b",1\nc,2\nd,10\ne,-5\n', [], 1).order, 'not increasing');
  assert.equal(run('a,-5\nb,2\nc,10\nd,11\n', [], 1).order, 'increasing');
  assert.equal(run('1\n2\n2\n', [], 0).order, 'not increasing', 'a repeated key is not strictly increasing');
});

test('keys the runner cannot compare exactly leave the order to SQL', () => {
  for (const key of ['007', '" 8"', '+9', '1e3', '1234567890123456', '0x1F', '1_000']) {
    assert.equal(run(`1\n${key}\n`, [], 0).order, 'unknown', key);
  }
});
