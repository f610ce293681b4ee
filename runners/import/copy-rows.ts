import { Transform, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { clipText } from '../shared/source-text.js';
import { CsvRecordScanner, type ScannedRecord } from './csv-records.js';
import { FieldSpans, countByte } from './csv-fields.js';
import { CopyLineMap } from './copy-line-map.js';
import type { KeyOrder, RecordChecks } from './record-checks.js';
import type { CsvFormat } from './import-config.js';

/** A record left out of the import, with where and why. */
export interface Reject {
  line: number;
  /** The CSV column name, or '' when the record as a whole is bad. */
  column: string;
  reason: string;
  /** The offending value or record, shortened. */
  value: string | null;
}

/** Counters the stream keeps while it runs. */
export interface FramingCounts {
  /** Data records seen, good and bad. */
  rowsRead: number;
  /** Source lines of the first and last records staged (0 when none). */
  firstLine: number;
  lastLine: number;
}

const MAX_VALUE_CHARS = 200;
const CR = 0x0d;
const LF_BYTE = Buffer.from([0x0a]);

/**
 * Turns CSV bytes into COPY input for the staging table: each good record goes through byte for byte, prefixed with
 * its source line number (the staging table's first column). Records with the wrong field count, an unterminated
 * quote, a NUL byte or bytes invalid in the encoding are rejected here, so COPY itself never fails on them; so are
 * those that fail the record checks (NULL in a NOT NULL column). A record longer than maxRecordBytes fails the
 * stream with RecordTooLongError (csv-records.ts).
 *
 * Memory: a record is never copied into JavaScript values, only located (csv-fields.ts); a rejected one keeps at
 * most MAX_VALUE_CHARS characters of itself. So a stream holds about one record (up to maxRecordBytes) at a time.
 */
export class CopyRowStream extends Transform {
  readonly counts: FramingCounts = { rowsRead: 0, firstLine: 0, lastLine: 0 };
  /** Where each record sent lies in the file, in COPY's own line numbers. */
  readonly lines = new CopyLineMap();
  /** Records sent to COPY. */
  sent = 0;
  private readonly scanner: CsvRecordScanner;
  private out: Buffer = Buffer.allocUnsafe(1 << 16);
  private outLength = 0;
  private readonly utf8: boolean;
  private readonly delimiter: number;
  private readonly quote: number;
  /** Where the fields of a record with a bad byte lie; its field count equals the header's by then. */
  private readonly fields: FieldSpans;

  constructor(
    private readonly format: CsvFormat,
    private readonly columns: string[],
    firstDataLine: number,
    private readonly onReject: (reject: Reject) => void,
    private readonly checks: RecordChecks,
    maxRecordBytes: number,
  ) {
    super({ highWaterMark: 1 << 16 });
    this.delimiter = format.delimiter.charCodeAt(0);
    this.quote = format.quote.charCodeAt(0);
    this.utf8 = format.encoding === 'UTF8';
    this.fields = new FieldSpans(columns.length);
    this.scanner = new CsvRecordScanner(this.delimiter, this.quote, maxRecordBytes, firstDataLine);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // Bytes are validated per chunk on the fast path; only a chunk that fails is re-checked record by record.
    const chunkClean = chunk.indexOf(0) < 0 && (!this.utf8 || isUtf8(chunk));
    // A record carried over from an earlier chunk is a fresh buffer, and is always checked on its own.
    this.settle(done, () => this.scanner.scan(chunk, (r) => this.acceptRecord(r, chunkClean && r.bytes === chunk)));
  }

  override _flush(done: TransformCallback): void {
    this.settle(done, () => this.scanner.finish((r) => this.acceptRecord(r, false)));
  }

  /** Runs one scanner step and sends what it produced; a record too long fails the stream. */
  private settle(done: TransformCallback, step: () => void): void {
    try {
      step();
    } catch (err) {
      done(err as Error);
      return;
    }
    this.flushOut();
    done();
  }

  private acceptRecord(r: ScannedRecord, chunkClean: boolean): void {
    // Once destroyed (too many bad rows), the rest of the chunk is not worth reading, nor its rejects keeping.
    if (this.destroyed) return;
    this.counts.rowsRead++;
    const problem = r.problem ?? this.fieldCountProblem(r) ?? (chunkClean ? undefined : this.byteProblem(r)) ?? this.checks.check(r);
    if (problem) {
      this.onReject({ line: r.line, column: this.columns[problem.field - 1] ?? '', reason: problem.reason, value: this.preview(r) });
      return;
    }
    this.append(r);
  }

  private fieldCountProblem(r: ScannedRecord): { field: number; reason: string } | undefined {
    const expected = this.columns.length;
    if (r.fields === expected) return undefined;
    return r.fields > expected
      ? { field: expected + 1, reason: `expected ${expected} fields, found ${r.fields}` }
      : { field: r.fields + 1, reason: `expected ${expected} fields, found ${r.fields}; column "${clipText(this.columns[r.fields] ?? '')}" is missing` };
  }

  /** Slow path: NUL bytes, or bytes invalid in the encoding, located to the field. */
  private byteProblem(r: ScannedRecord): { field: number; reason: string } | undefined {
    const slice = r.bytes.subarray(r.start, r.end);
    if (slice.indexOf(0) < 0 && (!this.utf8 || isUtf8(slice))) return undefined;
    // Each field is checked in place, quotes included: COPY validates the encoding of the raw bytes too, and the
    // bytes between ASCII delimiters are valid exactly when every field's are.
    const { starts, ends } = this.fields;
    const count = this.fields.locate(r.bytes, r.start, r.end, this.delimiter, this.quote);
    for (let i = 0; i < count; i++) {
      const field = r.bytes.subarray(starts[i], ends[i]);
      if (field.indexOf(0) >= 0) return { field: i + 1, reason: 'contains a NUL byte (0x00), which PostgreSQL text cannot hold' };
      if (this.utf8 && !isUtf8(field)) return { field: i + 1, reason: `contains bytes that are invalid in ${this.format.encoding}` };
    }
    return undefined;
  }

  /**
   * The start of the record, MAX_VALUE_CHARS characters at most, as a string of its own: a slice of a longer string
   * would keep all of it alive for as long as the reject is held.
   */
  private preview(r: ScannedRecord): string {
    const cut = this.utf8 ? utf8CharsEnd(r.bytes, r.start, r.end, MAX_VALUE_CHARS) : Math.min(r.end, r.start + MAX_VALUE_CHARS);
    // Invalid UTF-8 decodes to U+FFFD; NUL, which no PostgreSQL text can hold, is spelled out.
    const text = r.bytes.toString(this.utf8 ? 'utf8' : 'latin1', r.start, cut).replaceAll('\0', '\\x00');
    return cut < r.end ? `${text}…` : text;
  }

  /** The key order of the records sent so far (see record-checks.ts). */
  get keyOrder(): KeyOrder {
    return this.checks.keyOrder;
  }

  private append(r: ScannedRecord): void {
    if (this.counts.firstLine === 0) this.counts.firstLine = r.line;
    // Until COPY has seen its first line ending, it counts carriage returns inside quotes as line breaks, not
    // line feeds (CopyReadLineText); what it sees first is the line feed this stream puts after the first record.
    this.lines.add(r.line, this.sent === 0 ? countByte(r.bytes, CR, r.start, r.end) : r.breaks);
    this.sent++;
    this.counts.lastLine = r.line;
    const digits = decimalDigits(r.line);
    const need = digits + 1 + (r.end - r.start) + 1;
    if (this.outLength + need > this.out.length) this.flushOut();
    // The line number and a delimiter, written as bytes: a string per record costs about a tenth of the runner's
    // CPU in the COPY phase.
    for (let n = r.line, at = this.outLength + digits - 1; at >= this.outLength; n = Math.floor(n / 10), at--) this.out[at] = 0x30 + (n % 10);
    this.outLength += digits;
    this.out[this.outLength++] = this.delimiter;
    if (need > this.out.length) {
      // A record longer than the output buffer goes out as it is, not copied: it may be up to maxRecordBytes.
      this.flushOut();
      this.push(r.bytes.subarray(r.start, r.end));
      this.push(LF_BYTE);
      return;
    }
    this.outLength += r.bytes.copy(this.out, this.outLength, r.start, r.end);
    this.out[this.outLength++] = 0x0a;
  }

  private flushOut(): void {
    if (this.outLength === 0) return;
    this.push(Buffer.from(this.out.subarray(0, this.outLength)));
    this.outLength = 0;
  }
}

/** Where the first `chars` characters of UTF-8 bytes[start, end) end: a character starts at any non-continuation byte. */
function utf8CharsEnd(bytes: Buffer, start: number, end: number, chars: number): number {
  let seen = 0;
  for (let i = start; i < end; i++) {
    if (((bytes[i] as number) & 0xc0) !== 0x80 && seen++ === chars) return i;
  }
  return end;
}

function decimalDigits(n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}
