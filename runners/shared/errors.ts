/** Base class for failures the CLI maps to an exit code. Anything else exits 1. */
export class BulkheadError extends Error {
  /** The process exit code for this failure. */
  readonly exitCode: number = 1;
}

/** Bad input: a spec that fails validation, bad CSV rows past the limit, a column the target lacks. Exit 2, nothing merged. */
export class InvalidInputError extends BulkheadError {
  override readonly exitCode: number = 2;
}

/**
 * A row that the target refused during the merge (a CHECK, foreign key, unique or NOT NULL constraint, a trigger, a
 * value): exit 3, final, not retried. The chunks before the refused row's are merged, its chunk and later ones are not.
 */
export class MergeRefusedError extends BulkheadError {
  override readonly exitCode: number = 3;
}

/** The run was stopped by a signal and shut down cleanly. Exit 143 for SIGTERM, 130 for SIGINT. */
export class StoppedError extends BulkheadError {
  override readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}`);
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}

/** The exit code for any thrown value. */
export function exitCodeOf(err: unknown): number {
  return err instanceof BulkheadError ? err.exitCode : 1;
}

/** A one-line message with the causes chained, for stderr. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(current instanceof Error ? current.message : JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}
