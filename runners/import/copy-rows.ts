import { Transform, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { clipText } from '../shared/source-text.js';
import { CsvRecordScanner, type ScannedRecord } from './csv-records.js';
import { splitFields } from './csv-fields.js';
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

/**
 * Turns CSV bytes into COPY input for the staging table: each good record goes through byte for byte, prefixed with
 * its source line number (the staging table's first column). Records with the wrong field count, an unterminated
 * quote, a NUL byte or bytes invalid in the encoding are rejected here, so COPY itself never fails on them; so are
 * those that fail the record checks (NULL in a NOT NULL column).
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

  constructor(
    private readonly format: CsvFormat,
    private readonly columns: string[],
    firstDataLine: number,
    private readonly onReject: (reject: Reject) => void,
    private readonly checks: RecordChecks,
  ) {
    super({ highWaterMark: 1 << 16 });
    this.delimiter = format.delimiter.charCodeAt(0);
    this.quote = format.quote.charCodeAt(0);
    this.utf8 = format.encoding === 'UTF8';
    this.scanner = new CsvRecordScanner(this.delimiter, this.quote, undefined, firstDataLine);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // Bytes are validated per chunk on the fast path; only a chunk that fails is re-checked record by record.
    const chunkClean = chunk.indexOf(0) < 0 && (!this.utf8 || isUtf8(chunk));
    // A record carried over from an earlier chunk is a fresh buffer, and is always checked on its own.
    this.scanner.scan(chunk, (r) => this.acceptRecord(r, chunkClean && r.bytes === chunk));
    this.flushOut();
    done();
  }

  override _flush(done: TransformCallback): void {
    this.scanner.finish((r) => this.acceptRecord(r, false));
    this.flushOut();
    done();
  }

  private acceptRecord(r: ScannedRecord, chunkClean: boolean): void {
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
    const fields = splitFields(r.bytes, r.start, r.end, this.delimiter, this.quote);
    const index = fields.findIndex((f) => f.value.indexOf(0) >= 0 || (this.utf8 && !isUtf8(f.value)));
    const field = fields[index];
    const reason = field && field.value.indexOf(0) >= 0
      ? 'contains a NUL byte (0x00), which PostgreSQL text cannot hold'
      : `contains bytes that are invalid in ${this.format.encoding}`;
    return { field: index + 1, reason };
  }

  private preview(r: ScannedRecord): string {
    // Invalid UTF-8 decodes to U+FFFD; NUL, which no PostgreSQL text can hold, is spelled out.
    const text = r.bytes.subarray(r.start, Math.min(r.end, r.start + MAX_VALUE_CHARS * 4))
      .toString(this.utf8 ? 'utf8' : 'latin1').replaceAll('\0', '\\x00');
    return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
  }

  /** The key order of the records sent so far (see record-checks.ts). */
  get keyOrder(): KeyOrder {
    return this.checks.keyOrder;
  }

  private append(r: ScannedRecord): void {
    if (this.counts.firstLine === 0) this.counts.firstLine = r.line;
    // Until COPY has seen its first line ending, it counts carriage returns inside quotes as line breaks, not
    // line feeds (CopyReadLineText); what it sees first is the line feed this stream puts after the first record.
    this.lines.add(r.line, this.sent === 0 ? countByte(r, CR) : r.breaks);
    this.sent++;
    this.counts.lastLine = r.line;
    const digits = decimalDigits(r.line);
    const need = digits + 1 + (r.end - r.start) + 1;
    if (this.outLength + need > this.out.length) {
      this.flushOut();
      if (need > this.out.length) this.out = Buffer.allocUnsafe(need);
    }
    // The line number and a delimiter, written as bytes: a string per record costs about a tenth of the runner's
    // CPU in the COPY phase.
    for (let n = r.line, at = this.outLength + digits - 1; at >= this.outLength; n = Math.floor(n / 10), at--) this.out[at] = 0x30 + (n % 10);
    this.outLength += digits;
    this.out[this.outLength++] = this.delimiter;
    this.outLength += r.bytes.copy(this.out, this.outLength, r.start, r.end);
    this.out[this.outLength++] = 0x0a;
  }

  private flushOut(): void {
    if (this.outLength === 0) return;
    this.push(Buffer.from(this.out.subarray(0, this.outLength)));
    this.outLength = 0;
  }
}

function countByte(r: ScannedRecord, byte: number): number {
  let n = 0;
  for (let i = r.bytes.indexOf(byte, r.start); i >= 0 && i < r.end; i = r.bytes.indexOf(byte, i + 1)) n++;
  return n;
}

function decimalDigits(n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}
