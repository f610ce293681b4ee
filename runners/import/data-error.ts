import { clipText } from '../shared/source-text.js';

/** The fields of a PostgreSQL error (pg's DatabaseError) that say which row was refused and why. */
export interface DataError {
  code: string;
  message: string;
  detail?: string;
  constraint?: string;
  /** The context: for an error raised in a trigger, the function and line (`PL/pgSQL function f() line 3 at RAISE`). */
  where?: string;
}

/** A message or its DETAIL quotes values from the CSV: room for PostgreSQL's words and a clipped value, as for a reject. */
const MESSAGE_BYTES = 128;

/**
 * Whether an error is about the data: the same rows would fail the same way on every retry, so it is final.
 * Class 22 (data exception: a value out of range, a division by zero in a CHECK), class 23 (integrity constraint
 * violation: CHECK, foreign key, unique, NOT NULL, exclusion), and what a trigger raises (P0001 RAISE EXCEPTION,
 * P0004 ASSERT). Everything else, deadlocks (40P01), serialization failures (40001), a terminated session (57P01),
 * a cancelled statement (57014), a full disk (53100), is the infrastructure's, and a retry may well succeed.
 */
export function isDataError(err: unknown): err is DataError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23') || code === 'P0001' || code === 'P0004');
}

/**
 * PostgreSQL's account of a refused row in one line: its message and DETAIL, which quote values from the CSV, are
 * clipped; the SQLSTATE; and the constraint's name or, for an error a trigger raised, where it was raised.
 */
export function describeDataError(err: DataError): string {
  const detail = err.detail ? ` (${clipText(err.detail, MESSAGE_BYTES)})` : '';
  const origin = err.constraint
    ? `constraint "${clipText(err.constraint)}"`
    : err.where ? `raised in ${clipText(err.where.split('\n')[0] ?? '', MESSAGE_BYTES)}` : undefined;
  return `${clipText(err.message, MESSAGE_BYTES)}${detail} [SQLSTATE ${clipText(err.code, 5)}${origin ? `, ${origin}` : ''}]`;
}
