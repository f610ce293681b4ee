import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvRecordScanner, type ScannedRecord } from '../../runners/import/csv-records.js';
import { splitFields } from '../../runners/import/csv-fields.js';

interface Seen { line: number; fields: number; text: string; problem?: string }

function scanAll(input: Buffer, chunkSizes: number[]): Seen[] {
  const scanner = new CsvRecordScanner(0x2c, 0x22, 1024);
  const out: Seen[] = [];
  const emit = (r: ScannedRecord): void => {
    out.push({ line: r.line, fields: r.fields, text: r.bytes.subarray(r.start, r.end).toString(), ...(r.problem ? { problem: r.problem.reason } : {}) });
  };
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const size = chunkSizes[i % chunkSizes.length] ?? 1;
    scanner.scan(input.subarray(at, at + size), emit);
    at += size;
  }
  scanner.finish(emit);
  return out;
}

const sample = Buffer.from('a,b,c\r\n"x,1","multi\nline\r\nvalue",3\n"say ""hi""",,\n\nlast,row,"no newline"');

test('records are the same however the input is split into chunks', () => {
  const whole = scanAll(sample, [sample.length]);
  assert.deepEqual(whole, [
    { line: 1, fields: 3, text: 'a,b,c' },
    { line: 2, fields: 3, text: '"x,1","multi\nline\r\nvalue",3' },
    { line: 5, fields: 3, text: '"say ""hi""",,' },
    { line: 7, fields: 3, text: 'last,row,"no newline"' },
  ]);
  for (let size = 1; size <= 9; size++) assert.deepEqual(scanAll(sample, [size]), whole, `chunks of ${size}`);
  assert.deepEqual(scanAll(sample, [1, 7, 2, 13]), whole);
});

test('an unterminated quote at the end of input is a problem on the line where the record starts', () => {
  const records = scanAll(Buffer.from('a,b\n1,"open\n2,3\n'), [4]);
  assert.equal(records.length, 2);
  assert.equal(records[1]?.line, 2);
  assert.match(records[1]?.problem ?? '', /unterminated quoted field/);
});

test('a bare carriage return outside quotes is a problem, including one that ends a chunk', () => {
  for (const size of [3, 4, 5, 100]) {
    const records = scanAll(Buffer.from('a,b\nx\ry,2\nok,3\n'), [size]);
    assert.match(records[1]?.problem ?? '', /carriage return outside quotes/, `chunks of ${size}`);
    assert.equal(records[2]?.problem, undefined);
  }
});

test('a runaway quote is cut off at the record size limit instead of buffering the whole input', () => {
  const records = scanAll(Buffer.from(`a,b\n"${'z'.repeat(5000)}`), [100]);
  assert.match(records[1]?.problem ?? '', /no closing quote within 1024 bytes/);
});

test('fields are split and unquoted with COPY\'s rules', () => {
  const bytes = Buffer.from('plain,"quoted, with comma","say ""hi""",,mid"dle"x');
  assert.deepEqual(splitFields(bytes, 0, bytes.length, 0x2c, 0x22).map((f) => [f.value.toString(), f.quoted]),
    [['plain', false], ['quoted, with comma', true], ['say "hi"', true], ['', false], ['middlex', true]]);
});
