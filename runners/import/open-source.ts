import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BulkheadError, InvalidInputError } from '../shared/errors.js';
import { redactUrl } from '../shared/connection.js';
import { httpGet, RefusedRequestError, statusLine } from '../shared/http-get.js';
import { ByteLimit, deadlineError, type SourceLimits } from './source-limits.js';
import { resolveInside } from './mounted-source.js';
import { prepend } from './prepend-chunk.js';

/**
 * Where the bytes come from, once the spec and flags are resolved. A mounted source is a configMap key or a
 * persistentVolumeClaim path under the directory the operator mounts it at; label names it as the spec does.
 */
export type SourceRef =
  | { kind: 'file'; path: string }
  | { kind: 'mounted'; dir: string; path: string; label: string }
  | { kind: 'stdin' }
  | { kind: 'url'; url: string };

/** A name for a source in messages; a URL loses its credentials and query string. */
export function sourceLabel(ref: SourceRef): string {
  if (ref.kind === 'file') return ref.path;
  if (ref.kind === 'mounted') return ref.label;
  if (ref.kind === 'stdin') return 'stdin';
  return redactUrl(ref.url);
}

/** How a source is read: its limits, and how long an http(s) source may stall (--http-timeout). */
export interface SourceOptions extends SourceLimits {
  stallSeconds: number;
}

/**
 * Opens the source as a byte stream of CSV. An http(s) body is streamed with backpressure, never buffered whole.
 * Either kind may be gzip, which is recognised by its magic bytes rather than by name or Content-Type. The stream
 * fails once more than maxBytes of CSV have passed, or when the source is not read to its end within
 * deadlineSeconds of this call; a stop ends it too.
 */
export async function openSource(ref: SourceRef, options: SourceOptions, stop: AbortSignal): Promise<Readable> {
  const label = sourceLabel(ref);
  const deadline = AbortSignal.timeout(options.deadlineSeconds * 1000);
  let raw: Readable | undefined;
  let limit: ByteLimit | undefined;
  // Destroying the raw stream with the error is how the deadline or a stop reaches whoever reads the CSV.
  const onDeadline = (): void => void raw?.destroy(deadlineError(label, options, limit?.bytes ?? 0));
  const onStop = (): void => void raw?.destroy(stop.reason as Error);
  deadline.addEventListener('abort', onDeadline, { once: true });
  stop.addEventListener('abort', onStop, { once: true });
  const finished = (): void => {
    deadline.removeEventListener('abort', onDeadline);
    stop.removeEventListener('abort', onStop);
  };
  try {
    raw = await openRaw(ref, options.stallSeconds, AbortSignal.any([stop, deadline]));
    // The listeners above had no stream to end while it was being opened.
    stop.throwIfAborted();
    deadline.throwIfAborted();
    const csv = await gunzipIfCompressed(raw);
    limit = new ByteLimit(label, options, finished);
    limit.once('close', finished);
    pipeline(csv, limit, () => undefined);
    return limit;
  } catch (err) {
    finished();
    raw?.destroy();
    if (deadline.aborted && !(err instanceof BulkheadError)) throw deadlineError(label, options, 0);
    throw err;
  }
}

async function openRaw(ref: SourceRef, stallSeconds: number, signal: AbortSignal): Promise<Readable> {
  if (ref.kind === 'stdin') return process.stdin;
  if (ref.kind === 'file') {
    try {
      await access(ref.path);
    } catch (cause) {
      throw new InvalidInputError(`${ref.path}: cannot read the CSV file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
    }
    return createReadStream(ref.path, { highWaterMark: 1 << 20 });
  }
  if (ref.kind === 'mounted') return createReadStream(await resolveInside(ref.dir, ref.path, ref.label), { highWaterMark: 1 << 20 });
  return fetchBody(ref.url, stallSeconds, signal);
}

/**
 * The body of a 2xx answer to a GET (see http-get.ts for the redirect rules). The stall timeout covers the wait for
 * the answer and any pause between body chunks. A non-2xx answer is reported by its status code alone: its body
 * (an internal endpoint's error page may quote secrets) is never read.
 */
async function fetchBody(url: string, stallSeconds: number, signal: AbortSignal): Promise<Readable> {
  const label = redactUrl(url);
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(), stallSeconds * 1000);
  let body: IncomingMessage;
  try {
    ({ response: body } = await httpGet(new URL(url), AbortSignal.any([idle.signal, signal])));
  } catch (err) {
    // The cause is not attached: its message may quote the URL, query string and all.
    if (err instanceof RefusedRequestError) throw new InvalidInputError(`GET ${label} refused: ${err.message}`);
    const why = idle.signal.aborted ? `no response within ${stallSeconds}s` : describeRequestFailure(err);
    throw new Error(`GET ${label} failed: ${why}`);
  } finally {
    clearTimeout(timer);
  }
  const status = body.statusCode ?? 0;
  if (status < 200 || status > 299) {
    body.destroy();
    throw new Error(`GET ${label} answered ${statusLine(status)}; expected 2xx`);
  }
  const rearm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => body.destroy(new Error(`GET ${label}: the body stalled for ${stallSeconds}s`)), stallSeconds * 1000);
  };
  rearm();
  body.on('data', rearm);
  body.once('close', () => clearTimeout(timer));
  return body;
}

/** The network-level reason of a failed request (ECONNREFUSED, ENOTFOUND, ...), without any URL in it. */
function describeRequestFailure(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.name : 'error');
}

/** Looks at the first chunk: 1f 8b is gzip. The chunk is put back in front of the rest. */
async function gunzipIfCompressed(raw: Readable): Promise<Readable> {
  const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await iterator.next();
  if (first.done) return Readable.from([]);
  const head = first.value;
  const whole = Readable.from(prepend(head, iterator), { objectMode: false });
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return whole;
  const gunzip = createGunzip();
  whole.once('error', (err) => gunzip.destroy(err));
  gunzip.once('close', () => whole.destroy());
  return whole.pipe(gunzip);
}
