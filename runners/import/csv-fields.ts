/** One field of a record, unquoted. */
export interface CsvField {
  value: Buffer;
  /** Whether any part was quoted; a quoted field is never NULL. */
  quoted: boolean;
}

/**
 * Splits one record into fields with COPY's CSV rules: a quote toggles quoting anywhere, and a doubled quote inside
 * quotes is a literal quote. Used for the header and for locating the column of a rejected record, not per row.
 */
export function splitFields(bytes: Buffer, start: number, end: number, delimiter: number, quote: number): CsvField[] {
  const fields: CsvField[] = [];
  let current: number[] = [];
  let quoted = false;
  let inQuote = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (inQuote) {
      if (c === quote) {
        if (bytes[i + 1] === quote && i + 1 < end) {
          current.push(quote);
          i++;
        } else {
          inQuote = false;
        }
      } else {
        current.push(c);
      }
    } else if (c === quote) {
      inQuote = true;
      quoted = true;
    } else if (c === delimiter) {
      fields.push({ value: Buffer.from(current), quoted });
      current = [];
      quoted = false;
    } else {
      current.push(c);
    }
  }
  fields.push({ value: Buffer.from(current), quoted });
  return fields;
}
