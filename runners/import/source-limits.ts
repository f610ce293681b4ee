import { Transform, type TransformCallback } from 'node:stream';
import { BulkheadError, InvalidInputError } from '../shared/errors.js';

/** How much of a source is read, and for how long (spec.source.maxBytes and deadlineSeconds, defaulted). */
export interface SourceLimits {
  maxBytes: number;
  deadlineSeconds: number;
}

/**
 * The source is larger than source.maxBytes. Exit 2, like other input that cannot be imported as it is: running
 * again reads the same bytes.
 */
export function tooLargeError(label: string, limits: SourceLimits, bytes: number): InvalidInputError {
  return new InvalidInputError(`${label}: more than ${limits.maxBytes} bytes (source.maxBytes, --max-bytes); `
    + `stopped after reading ${bytes} bytes, and nothing was merged`);
}

/**
 * The source was not read to its end within source.deadlineSeconds. Exit 1, so the Job tries again: a slow
 * network or a busy database (COPY's backpressure slows the reading too) may not be slow the next time.
 */
export function deadlineError(label: string, limits: SourceLimits, bytes: number): BulkheadError {
  return new BulkheadError(`${label}: not read to the end within ${limits.deadlineSeconds}s (source.deadlineSeconds, `
    + `--source-deadline); stopped after reading ${bytes} bytes, and nothing was merged`);
}

/**
 * Counts the CSV bytes that pass (after gzip is undone, so a small gzip bomb counts at its real size) and fails the
 * stream with tooLargeError once they pass maxBytes. `done` is called when the last byte has passed.
 */
export class ByteLimit extends Transform {
  bytes = 0;

  constructor(private readonly label: string, private readonly limits: SourceLimits, private readonly done: () => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxBytes) callback(tooLargeError(this.label, this.limits, this.bytes));
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.done();
    callback();
  }
}
