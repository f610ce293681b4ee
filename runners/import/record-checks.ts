import type { ImportPlan } from './import-plan.js';
import type { ScannedRecord } from './csv-records.js';
import type { CsvFormat } from './import-config.js';
import { FieldSpans } from './csv-fields.js';

/** Integer types whose CSV text the runner can compare exactly (int2, int4, int8). */
const INTEGER_TYPE_OIDS = new Set([20, 21, 23]);
/** Longest digit string that a double holds exactly. */
const MAX_EXACT_DIGITS = 15;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** What the runner checks on each record: fields index the CSV columns, 0-based. */
export interface RecordCheckPlan {
  /** Fields loaded as they are into a NOT NULL or key column: NULL there is a bad row. */
  notNull: { field: number; column: string }[];
  /** The field of a single integer key loaded as it is, whose order the runner can judge exactly. */
  integerKey: number | undefined;
}

/** Whether the records that passed every check came in strictly increasing key order. */
export type KeyOrder = 'increasing' | 'not increasing' | 'unknown';

/**
 * Picks the checks the runner can make exactly while streaming. Transformed columns are left to SQL: a transform
 * may turn a value into NULL (nullIfEmpty), or change its order.
 */
export function recordCheckPlan(plan: ImportPlan): RecordCheckPlan {
  const direct = plan.columns.filter((c) => c.transform === undefined);
  const notNull = direct.filter((c) => c.target.notNull || c.isKey).map((c) => ({ field: c.csvIndex, column: c.csvName }));
  const key = plan.key.length === 1 ? plan.key[0] : undefined;
  const integerKey = key && key.transform === undefined && INTEGER_TYPE_OIDS.has(key.target.typeOid) ? key.csvIndex : undefined;
  return { notNull, integerKey };
}

/**
 * Makes the per-record checks of a RecordCheckPlan: NULL in a NOT NULL column (exactly COPY's rule: the unquoted
 * null string), and whether integer keys strictly increase, so the SQL scan that proves key order can be skipped.
 * Only the fields up to the last one checked are located, without copying them.
 */
export class RecordChecks {
  private readonly fields: FieldSpans;
  private readonly lastField: number;
  private readonly nullBytes: Buffer;
  private readonly delimiter: number;
  private readonly quote: number;
  private order: KeyOrder;
  private lastKey = Number.NEGATIVE_INFINITY;

  constructor(private readonly plan: RecordCheckPlan, format: CsvFormat) {
    this.lastField = Math.max(-1, plan.integerKey ?? -1, ...plan.notNull.map((n) => n.field));
    this.fields = new FieldSpans(this.lastField + 1);
    this.nullBytes = Buffer.from(format.nullString, format.encoding === 'UTF8' ? 'utf8' : 'latin1');
    this.delimiter = format.delimiter.charCodeAt(0);
    this.quote = format.quote.charCodeAt(0);
    this.order = plan.integerKey === undefined ? 'unknown' : 'increasing';
  }

  /** The key order of the records accepted so far. */
  get keyOrder(): KeyOrder {
    return this.order;
  }

  /** Checks a record whose field count is right; returns the first problem, or records its key and returns undefined. */
  check(r: ScannedRecord): { field: number; reason: string } | undefined {
    if (this.lastField < 0) return undefined;
    this.fields.locate(r.bytes, r.start, r.end, this.delimiter, this.quote);
    for (const { field } of this.plan.notNull) {
      if (this.isNull(r.bytes, field)) return { field: field + 1, reason: 'null value in a column that must not be null' };
    }
    if (this.order === 'increasing' && this.plan.integerKey !== undefined) this.followKey(r.bytes, this.plan.integerKey);
    return undefined;
  }

  private isNull(bytes: Buffer, field: number): boolean {
    const { starts, ends, quoted } = this.fields;
    const start = starts[field] as number;
    const length = (ends[field] as number) - start;
    if (quoted[field] === 1 || length !== this.nullBytes.length) return false;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== this.nullBytes[i]) return false;
    return true;
  }

  /** Plain integers only (no sign but '-', no leading zeros, no spaces, no quotes); anything else: order unknown. */
  private followKey(bytes: Buffer, field: number): void {
    const { starts, ends, quoted } = this.fields;
    let i = starts[field] as number;
    const end = ends[field] as number;
    const negative = bytes[i] === MINUS;
    if (negative) i++;
    const digits = end - i;
    if (quoted[field] === 1 || digits < 1 || digits > MAX_EXACT_DIGITS || (digits > 1 && bytes[i] === ZERO)) {
      this.order = 'unknown';
      return;
    }
    let value = 0;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c < ZERO || c > NINE) {
        this.order = 'unknown';
        return;
      }
      value = value * 10 + (c - ZERO);
    }
    if (negative) value = -value;
    if (value <= this.lastKey) this.order = 'not increasing';
    this.lastKey = value;
  }
}
