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

/** The longest record accepted by default: a runaway quote must not buffer the whole input. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * A record longer than the record size limit, usually a quote that is never closed. Past it the input cannot be
 * framed (the next line break may be inside the quotes or not), so it is fatal rather than one bad row.
 */
export class RecordTooLongError extends Error {
  constructor(
    /** The physical line where the record starts. */
    readonly line: number,
    /** The field (1-based) where the open quote starts, or the last field begun. */
    readonly field: number,
    readonly inQuote: boolean,
    readonly maxRecordBytes: number,
  ) {
    super(inQuote
      ? `a quoted field starting on line ${line} has no closing quote within ${maxRecordBytes} bytes`
      : `the record starting on line ${line} is longer than ${maxRecordBytes} bytes`);
  }
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Resumable scanner: feed chunks with scan(), then call finish() at end of input. Both throw RecordTooLongError for
 * a record longer than maxRecordBytes, which is never buffered beyond that.
 */
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
    private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
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
      this.checkLength(this.carryBytes + rest.length);
      this.carry.push(rest);
      this.carryBytes += rest.length;
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
    this.checkLength(this.carryBytes + lf - start);
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

  /** Throws when the record being read would be longer than the limit (its bytes so far: length). */
  private checkLength(length: number): void {
    if (length <= this.maxRecordBytes) return;
    this.carry = [];
    this.carryBytes = 0;
    throw new RecordTooLongError(this.recordLine, this.inQuote ? this.quoteField : this.fields, this.inQuote, this.maxRecordBytes);
  }
}
