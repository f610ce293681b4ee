/** A row that COPY ... ON_ERROR ignore skipped, as its NOTICE names it. */
export interface CopySkip {
  /** COPY's line number: see copy-line-map.ts. */
  copyLine: number;
  /** The staging column whose value could not be read. */
  stageColumn: string;
  /** The value as COPY printed it (the start only, ending in "...", when longer than 100 bytes); null for NULL. */
  value: string | null;
}

/**
 * The NOTICE that PostgreSQL 17 and 18 send for each skipped row with LOG_VERBOSITY verbose (NextCopyFrom /
 * CopyFromTextLikeOneRow in copyfromparse.c), in English: lc_messages is checked before choosing typed staging.
 * "null input" is a NULL rejected by the type itself (a domain's NOT NULL), which typed staging never uses.
 */
const SKIPPED = /^skipping row due to data type incompatibility at line (\d+) for column "((?:[^"]|"")+)": (?:"([\s\S]*)"|null input)$/;
/** COPY shortens printed values to 100 bytes and appends "..." (CopyLimitPrintoutLength). */
const PRINTOUT_BYTES = 100;

/** Reads one NOTICE; undefined for any other (such as the closing "N rows were skipped" one). */
export function parseCopySkip(message: string): CopySkip | undefined {
  const m = SKIPPED.exec(message);
  if (!m) return undefined;
  return { copyLine: Number(m[1]), stageColumn: (m[2] as string).replaceAll('""', '"'), value: m[3] ?? null };
}

/** Whether COPY may have shortened the value it printed. */
export function maybeShortened(value: string): boolean {
  return value.endsWith('...') && Buffer.byteLength(value) - 3 > PRINTOUT_BYTES - 4;
}
