/**
 * Where the fields of one record lie, as byte offsets into the record's buffer, with COPY's CSV rules: a quote
 * toggles quoting anywhere, and a delimiter inside quotes is data. Nothing is copied: a record may be as long as the
 * record size limit (64 MiB), and a field of it is checked in place (a NUL byte, bytes invalid in the encoding).
 * Only a short piece that reaches a message or a header name is unquoted, by unquoteField.
 */
export class FieldSpans {
  /** Offset of each field's first byte, quotes included. */
  readonly starts: Int32Array;
  /** Offset just past each field's last byte. */
  readonly ends: Int32Array;
  /** 1 when any part of the field was quoted (a quoted field is never NULL). */
  readonly quoted: Uint8Array;
  /** Fields located by the last locate(). */
  count = 0;

  /** Room for the first `capacity` fields of a record; locate() stops there. */
  constructor(readonly capacity: number) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.quoted = new Uint8Array(capacity);
  }

  /** Locates the fields of bytes[start, end), up to capacity of them; returns how many it located. */
  locate(bytes: Buffer, start: number, end: number, delimiter: number, quote: number): number {
    let field = 0;
    let from = start;
    let quoted = 0;
    let inQuote = false;
    if (this.capacity === 0) return (this.count = 0);
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c === quote) {
        inQuote = !inQuote;
        quoted = 1;
      } else if (c === delimiter && !inQuote) {
        this.starts[field] = from;
        this.ends[field] = i;
        this.quoted[field] = quoted;
        if (++field === this.capacity) return (this.count = field);
        from = i + 1;
        quoted = 0;
      }
    }
    this.starts[field] = from;
    this.ends[field] = end;
    this.quoted[field] = quoted;
    return (this.count = field + 1);
  }
}

/** The value of bytes[start, end) with its quotes removed and doubled quotes inside quotes made single (a copy). */
export function unquoteField(bytes: Buffer, start: number, end: number, quote: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let length = 0;
  let inQuote = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (c !== quote) {
      out[length++] = c;
    } else if (inQuote && i + 1 < end && bytes[i + 1] === quote) {
      out[length++] = quote;
      i++;
    } else {
      inQuote = !inQuote;
    }
  }
  return out.subarray(0, length);
}

/** How many times byte occurs in bytes[start, end). */
export function countByte(bytes: Buffer, byte: number, start: number, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(byte, start); i >= 0 && i < end; i = bytes.indexOf(byte, i + 1)) n++;
  return n;
}
