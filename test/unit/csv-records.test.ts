import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvRecordScanner, RecordTooLongError, type ScannedRecord } from '../../runners/import/csv-records.js';
import { FieldSpans, unquoteField } from '../../runners/import/csv-fields.js';

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

test('a record over the size limit throws where it starts, whether quoted, unquoted, last or split across chunks', () => {
  const cases: [string, number[], { line: number; field: number; inQuote: boolean }][] = [
    // A runaway quote: the text inside it looks like records, which must never come out as such.
    [`a,b\n1,"${'x,y\n'.repeat(400)}`, [100], { line: 2, field: 2, inQuote: true }],
    [`a,b\n1,"${'x,y\n'.repeat(400)}"\n2,3\n`, [100, 7], { line: 2, field: 2, inQuote: true }],
    // Unquoted: ending in one chunk larger than the limit, and at the very end without a line feed.
    [`a,b\nc,d\n${'z'.repeat(1025)}\n`, [4096], { line: 3, field: 1, inQuote: false }],
    [`a,b\n${'z'.repeat(1025)}`, [1], { line: 2, field: 1, inQuote: false }],
  ];
  for (const [csv, chunks, where] of cases) {
    assert.throws(() => scanAll(Buffer.from(csv), chunks), (err: unknown) => {
      assert.ok(err instanceof RecordTooLongError, String(err));
      assert.deepEqual({ line: err.line, field: err.field, inQuote: err.inQuote }, where);
      assert.equal(err.maxRecordBytes, 1024);
      return true;
    });
  }
  const exact = `${'z'.repeat(1024)}\n${'y'.repeat(1024)}`;
  assert.deepEqual(scanAll(Buffer.from(exact), [100]).map((r) => r.text.length), [1024, 1024], 'records of exactly the limit are accepted');
});

test('fields are located in place and unquoted with COPY\'s rules', () => {
  const bytes = Buffer.from('plain,"quoted, with comma","say ""hi""",,mid"dle"x');
  const spans = new FieldSpans(8);
  assert.equal(spans.locate(bytes, 0, bytes.length, 0x2c, 0x22), 5);
  const fields = Array.from({ length: spans.count }, (_, i) => [unquoteField(bytes, spans.starts[i] as number, spans.ends[i] as number, 0x22).toString(), spans.quoted[i] === 1]);
  assert.deepEqual(fields, [['plain', false], ['quoted, with comma', true], ['say "hi"', true], ['', false], ['middlex', true]]);
  const two = new FieldSpans(2);
  assert.equal(two.locate(bytes, 0, bytes.length, 0x2c, 0x22), 2, 'stops at its capacity');
  assert.equal(bytes.subarray(two.starts[1], two.ends[1]).toString(), '"quoted, with comma"');
});
