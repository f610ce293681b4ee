/**
 * Finds CSV record boundaries in a byte stream, with PostgreSQL's COPY ... (FORMAT csv) rules, without decoding.
 *
 * Why not a general CSV parser: the bytes of good records go to COPY unchanged, so the framing must agree with
 * PostgreSQL's exactly (a quote character toggles quoting wherever it appears, as in CopyReadLineText), and it
 * must run at COPY's speed. A parser that decodes every field into strings costs several times the COPY itself.
 * This scanner only counts delimiters and line breaks outside quotes; decoding happens on the few rejected records
 * and the header (see csv-fields.ts).
 */

/** One record, as a byte range of `bytes` without its line terminator. */
export interface ScannedRecord {
  bytes: Buffer;
  start: number;
  end: number;
  /** The physical line (1-based) where the record starts. */
  line: number;
  /** Fields found: delimiters outside quotes + 1. */
  fields: number;
  /** Line feeds inside the record (inside quotes, since one outside ends it). */
  breaks: number;
  /** Set when the record cannot be framed: an unterminated quote, or a bare carriage return. */
  problem?: { field: number; reason: string };
}

const LF = 0x0a;
const CR = 0x0d;

/** Resumable scanner: feed chunks with scan(), then call finish() at end of input. */
export class CsvRecordScanner {
  private inQuote = false;
  private fields = 1;
  private quoteField = 0;
  private strayCrField = 0;
  /** Field of an unquoted CR that ended the previous chunk, checked against the next chunk's first byte. */
  private pendingCrField = 0;
  private line: number;
  private recordLine: number;
  /** Bytes of a record that started in an earlier chunk. */
  private carry: Buffer[] = [];
  private carryBytes = 0;

  constructor(
    private readonly delimiter: number,
    private readonly quote: number,
    /** Longest record accepted, so a runaway quote cannot buffer the whole file. */
    private readonly maxRecordBytes = 64 * 1024 * 1024,
    /** The physical line number of the first byte fed in. */
    firstLine = 1,
  ) {
    this.line = firstLine;
    this.recordLine = firstLine;
  }

  /** Scans one chunk, calling emit for each record that ends in it. */
  scan(chunk: Buffer, emit: (record: ScannedRecord) => void): void {
    const { delimiter, quote } = this;
    let inQuote = this.inQuote;
    let fields = this.fields;
    let start = 0;
    if (this.pendingCrField > 0) {
      if (chunk[0] !== LF && this.strayCrField === 0) this.strayCrField = this.pendingCrField;
      this.pendingCrField = 0;
    }
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === quote) {
        inQuote = !inQuote;
        if (inQuote) this.quoteField = fields;
      } else if (c === LF) {
        this.line++;
        if (inQuote) continue;
        this.inQuote = inQuote;
        this.fields = fields;
        this.emitRecord(chunk, start, i, emit);
        fields = 1;
        start = i + 1;
      } else if (!inQuote) {
        if (c === delimiter) fields++;
        else if (c === CR && chunk[i + 1] !== LF) {
          if (i + 1 === chunk.length) this.pendingCrField = fields;
          else if (this.strayCrField === 0) this.strayCrField = fields;
        }
      }
    }
    this.inQuote = inQuote;
    this.fields = fields;
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.carry.push(rest);
      this.carryBytes += rest.length;
      if (this.carryBytes > this.maxRecordBytes) {
        this.failRunaway(emit);
      }
    }
  }

  /** Flushes the last record, which may lack a line terminator. */
  finish(emit: (record: ScannedRecord) => void): void {
    this.pendingCrField = 0;
    if (this.carryBytes === 0) return;
    const bytes = Buffer.concat(this.carry);
    this.carry = [];
    this.carryBytes = 0;
    this.emitRecord(bytes, 0, bytes.length, emit, true);
  }

  private emitRecord(chunk: Buffer, start: number, lf: number, emit: (record: ScannedRecord) => void, atEof = false): void {
    let bytes = chunk;
    let s = start;
    let e = lf;
    if (this.carryBytes > 0) {
      this.carry.push(chunk.subarray(start, lf));
      bytes = Buffer.concat(this.carry);
      s = 0;
      e = bytes.length;
      this.carry = [];
      this.carryBytes = 0;
    }
    if (e > s && bytes[e - 1] === CR && !this.inQuote) e--;
    // this.line already counts the terminating line feed, unless the record ends the file without one.
    const breaks = this.line - this.recordLine - (atEof ? 0 : 1);
    const record: ScannedRecord = { bytes, start: s, end: e, line: this.recordLine, fields: this.fields, breaks };
    if (atEof && this.inQuote) {
      record.problem = { field: this.quoteField, reason: 'unterminated quoted field: the closing quote is missing' };
    } else if (this.strayCrField > 0) {
      record.problem = { field: this.strayCrField, reason: 'carriage return outside quotes; quote the field or use CRLF line endings' };
    }
    this.recordLine = this.line;
    this.inQuote = false;
    this.fields = 1;
    this.strayCrField = 0;
    if (e > s || record.problem) emit(record);
  }

  private failRunaway(emit: (record: ScannedRecord) => void): void {
    const bytes = Buffer.concat(this.carry);
    this.carry = [];
    this.carryBytes = 0;
    const reason = this.inQuote
      ? `unterminated quoted field: no closing quote within ${this.maxRecordBytes} bytes`
      : `record longer than ${this.maxRecordBytes} bytes`;
    emit({ bytes, start: 0, end: bytes.length, line: this.recordLine, fields: this.fields, breaks: 0, problem: { field: this.quoteField || this.fields, reason } });
    // Resynchronise at the next line break outside what we dropped.
    this.inQuote = false;
    this.fields = 1;
    this.recordLine = this.line;
  }
}
