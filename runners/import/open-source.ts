import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidInputError } from '../shared/errors.js';
import { redactUrl } from '../shared/connection.js';
import { clipText } from '../shared/source-text.js';
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

/**
 * Opens the source as a byte stream. An http(s) body is streamed with backpressure, never buffered whole; the
 * timeout covers the wait for the response and any stall between body chunks. Either kind may be gzip, which is
 * recognised by its magic bytes rather than by name or Content-Type.
 */
export async function openSource(ref: SourceRef, timeoutSeconds: number, stop: AbortSignal): Promise<Readable> {
  let raw: Readable;
  if (ref.kind === 'stdin') {
    raw = process.stdin;
  } else if (ref.kind === 'file') {
    try {
      await access(ref.path);
    } catch (cause) {
      throw new InvalidInputError(`${ref.path}: cannot read the CSV file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
    }
    raw = createReadStream(ref.path, { highWaterMark: 1 << 20 });
  } else if (ref.kind === 'mounted') {
    raw = createReadStream(await resolveInside(ref.dir, ref.path, ref.label), { highWaterMark: 1 << 20 });
  } else {
    raw = await fetchBody(ref.url, timeoutSeconds, stop);
  }
  return gunzipIfCompressed(raw);
}

async function fetchBody(url: string, timeoutSeconds: number, stop: AbortSignal): Promise<Readable> {
  const label = redactUrl(url);
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(), timeoutSeconds * 1000);
  const signal = AbortSignal.any([idle.signal, stop]);
  // fetch refuses credentials in a URL; they travel as a Basic Authorization header instead.
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (target.username || target.password) {
    const user = decodeURIComponent(target.username);
    const password = decodeURIComponent(target.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  let response: Response;
  try {
    response = await fetch(target, { signal, redirect: 'follow', headers });
  } catch (cause) {
    clearTimeout(timer);
    // The cause is not attached: its message may quote the URL, query string and all.
    const why = idle.signal.aborted ? `no response within ${timeoutSeconds}s` : describeFetchFailure(cause);
    throw new Error(`GET ${label} failed: ${why}`);
  }
  if (!response.ok || !response.body) {
    clearTimeout(timer);
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`GET ${label} answered ${response.status} ${clipText(response.statusText)}; expected 2xx`);
  }
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const rearm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => body.destroy(new Error(`GET ${label}: the body stalled for ${timeoutSeconds}s`)), timeoutSeconds * 1000);
  };
  rearm();
  body.on('data', rearm);
  body.once('close', () => clearTimeout(timer));
  return body;
}

/** The network-level reason of a failed fetch (ECONNREFUSED, ENOTFOUND, ...), without any URL in it. */
function describeFetchFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err instanceof Error ? err.name : 'error');
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
