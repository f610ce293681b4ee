import { Readable } from 'node:stream';
import { InvalidInputError } from '../shared/errors.js';
import { clipText } from '../shared/source-text.js';
import { FieldSpans, countByte, unquoteField } from './csv-fields.js';
import { prepend } from './prepend-chunk.js';
import type { CsvFormat } from './import-config.js';

/** The header record, and the rest of the stream after it. */
export interface SplitSource {
  /** Column names in file order. */
  columns: string[];
  /** The physical line of the first data record. */
  firstDataLine: number;
  body: Readable;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const MAX_HEADER_BYTES = 1024 * 1024;

/** Reads the header record (stripping a UTF-8 BOM) and returns the remaining bytes as a stream. */
export async function splitHeader(source: Readable, format: CsvFormat, file: string): Promise<SplitSource> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const quote = format.quote.charCodeAt(0);
  const parts: Buffer[] = [];
  let inQuote = false;
  let lines = 1;
  let first = true;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    let chunk: Buffer = next.value;
    if (first && format.encoding === 'UTF8' && chunk.subarray(0, 3).equals(BOM)) chunk = chunk.subarray(3);
    first = false;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === quote) inQuote = !inQuote;
      else if (c === 0x0a) {
        if (!inQuote) {
          parts.push(chunk.subarray(0, i));
          const rest = chunk.subarray(i + 1);
          return { columns: decodeHeader(Buffer.concat(parts), format, file), firstDataLine: lines + 1, body: Readable.from(prepend(rest, iterator), { objectMode: false }) };
        }
        lines++;
      }
    }
    parts.push(chunk);
    if (parts.reduce((n, p) => n + p.length, 0) > MAX_HEADER_BYTES) {
      throw new InvalidInputError(`${file}:1: the header record is longer than ${MAX_HEADER_BYTES} bytes; is the quote character right?`);
    }
  }
  const all = Buffer.concat(parts);
  if (all.length === 0) throw new InvalidInputError(`${file}:1: the file is empty; a header row is required`);
  return { columns: decodeHeader(all, format, file), firstDataLine: lines + 1, body: Readable.from([]) };
}

function decodeHeader(bytes: Buffer, format: CsvFormat, file: string): string[] {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  const delimiter = format.delimiter.charCodeAt(0);
  const quote = format.quote.charCodeAt(0);
  // The header is at most MAX_HEADER_BYTES, so room for one field per delimiter byte is bounded too.
  const spans = new FieldSpans(countByte(bytes, delimiter, 0, end) + 1);
  spans.locate(bytes, 0, end, delimiter, quote);
  const decoder = new TextDecoder(format.encoding === 'UTF8' ? 'utf-8' : 'latin1', { fatal: true });
  const names = Array.from({ length: spans.count }, (_, i) => {
    let name: string;
    try {
      name = decoder.decode(unquoteField(bytes, spans.starts[i] as number, spans.ends[i] as number, quote)).trim();
    } catch {
      throw new InvalidInputError(`${file}:1:${i + 1}: the header has bytes that are invalid in ${format.encoding}`);
    }
    if (name === '') throw new InvalidInputError(`${file}:1:${i + 1}: header column ${i + 1} has no name`);
    return name;
  });
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) throw new InvalidInputError(`${file}:1:${i + 1}: header column "${clipText(n)}" appears twice`);
    seen.add(n);
  });
  return names;
}
