import { needsTypeCheck, type ImportPlan, type PlannedColumn } from './import-plan.js';

/** PostgreSQL 17 added COPY ... ON_ERROR ignore and LOG_VERBOSITY verbose. */
export const TYPED_STAGING_VERSION = 170000;

/**
 * How staging holds the CSV columns. With typed staging (PostgreSQL 17+), a column loaded as it is into one
 * target column is staged in that column's type: COPY converts it once, skips rows whose values it cannot read
 * (ON_ERROR ignore) and names each in a NOTICE, so the set-wise value check and the casts in the merge go away
 * for it. Everything else (transform sources, text, PostgreSQL 15 and 16) is staged as text and checked in SQL.
 */
export interface StageLayout {
  /** Per CSV column, its type in staging. */
  types: string[];
  /** Whether COPY skips and reports rows with unreadable values (some column is typed). */
  copySkipsBadRows: boolean;
}

/**
 * Lays out staging. Typed needs a server that can report skipped rows in English (the NOTICE is parsed) and a
 * built-in input function (see describe-target.ts); a CSV column feeding several target columns stays text.
 */
export function stageLayout(plan: ImportPlan, csvColumns: number, typedStaging: boolean): StageLayout {
  const types = Array.from({ length: csvColumns }, () => 'text');
  if (typedStaging) {
    for (let i = 0; i < csvColumns; i++) {
      const uses = plan.columns.filter((c) => c.csvIndex === i);
      const only = uses.length === 1 ? uses[0] : undefined;
      if (only && only.transform === undefined && only.target.builtinInput && needsTypeCheck(only.target)) types[i] = only.target.type;
    }
  }
  return { types, copySkipsBadRows: types.some((t) => t !== 'text') };
}

/** Whether COPY already converted this planned column's values to its type (so SQL need not check them). */
export function stagedTyped(layout: StageLayout, column: PlannedColumn): boolean {
  return column.transform === undefined && layout.types[column.csvIndex] !== 'text';
}

/**
 * Whether the server's messages are in English, so its NOTICEs about skipped rows can be read: lc_messages is C,
 * POSIX or an English locale. Anything else (including '', the server's environment) keeps the text path, and a
 * NOTICE missed anyway is caught by the count check in copy-to-stage.ts.
 */
export function englishMessages(lcMessages: string): boolean {
  return /^(C|POSIX|en)([._@]|$)/i.test(lcMessages);
}
