import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summaryLine, TERMINATION_MESSAGE_BYTES } from '../../runners/import/summary-line.js';
import { emptySummary, type ImportSummary } from '../../runners/import/summary.js';

const counts = { rowsRead: 123456789, rowsRejected: 98765, duplicateKeys: 4321, rowsInserted: 1000000, rowsUpdated: 2000000, rowsUnchanged: 3000000 };

function summaryWith(rejects: number, reason: string, error: string | undefined): ImportSummary {
  return {
    ...emptySummary('insertOnly'), ...counts, copySeconds: 12.345, mergeSeconds: 67.891, totalSeconds: 80.5, peakRssBytes: 123456789012,
    rejects: Array.from({ length: rejects }, (_, i) => ({ line: 1_000_000 + i, column: `col_${'é'.repeat(200)}`, reason: `${reason} ${i}` })),
    ...(error === undefined ? {} : { error }),
  };
}

const pathological: [string, ImportSummary][] = [
  ['5,000 rejects with 10 KB reasons', summaryWith(5000, 'x'.repeat(10_000), undefined)],
  ['a 5 MB error (a 100,000-column header)', summaryWith(0, '', 'header column "c": column does not exist; '.repeat(120_000))],
  ['multibyte reasons and error', summaryWith(3000, '€😀'.repeat(3000), 'ошибка 😀'.repeat(100_000))],
  ['control characters, which escape to 7 bytes of JSON each', summaryWith(2000, '\u0001'.repeat(4000), '\u001b\u2028'.repeat(100_000))],
];

for (const [what, summary] of pathological) {
  test(`the summary line fits a termination message, counts intact: ${what}`, () => {
    const line = summaryLine(summary);
    assert.ok(Buffer.byteLength(`${line}\n`) <= TERMINATION_MESSAGE_BYTES, `${Buffer.byteLength(line)} bytes`);
    const parsed = JSON.parse(line) as ImportSummary;
    assert.deepEqual({ rowsRead: parsed.rowsRead, rowsRejected: parsed.rowsRejected, duplicateKeys: parsed.duplicateKeys, rowsInserted: parsed.rowsInserted,
      rowsUpdated: parsed.rowsUpdated, rowsUnchanged: parsed.rowsUnchanged }, counts);
    assert.equal(parsed.phase, 'Failed');
    assert.equal(parsed.rejects.length + (parsed.rejectsOmitted ?? 0), summary.rejects.length, 'dropped rejects are counted');
    if (summary.error !== undefined) assert.match(parsed.error ?? '', /…\[\d+ more bytes\]$/, 'a clipped error says how much is left out');
    assert.ok(line.startsWith('{"event":"summary","phase":"Failed","strategy":"insertOnly","rowsRead":123456789,"rowsRejected":98765,'), 'counts first');
  });
}

test('a summary that fits is written whole; one just over keeps as many rejects as fit, their text cut to 64 bytes', () => {
  const small = summaryWith(3, 'invalid input syntax for type integer: "x"', 'too many bad rows');
  const whole = JSON.parse(summaryLine(small)) as ImportSummary;
  assert.deepEqual([whole.rejects, whole.error, whole.rejectsOmitted], [small.rejects, small.error, undefined]);
  const big = summaryWith(20, 'r'.repeat(300), 'e'.repeat(5000));
  const cut = JSON.parse(summaryLine(big)) as ImportSummary;
  assert.ok(cut.rejects.length > 10 && cut.rejects.length < 20, `kept ${cut.rejects.length}`);
  assert.equal(cut.rejectsOmitted, 20 - cut.rejects.length);
  assert.equal(cut.rejects[0]?.reason, `${'r'.repeat(64)}…[238 more bytes]`);
  assert.equal(cut.error, `${'e'.repeat(1024)}…[3976 more bytes]`);
});
