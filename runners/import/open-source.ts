import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidInputError } from '../shared/errors.js';
import { redactUrl } from '../shared/connection.js';

/** Where the bytes come from, once the spec and flags are resolved. */
export type SourceRef = { kind: 'file'; path: string } | { kind: 'stdin' } | { kind: 'url'; url: string };

/** A name for a source in messages; a URL loses its credentials and query string. */
export function sourceLabel(ref: SourceRef): string {
  if (ref.kind === 'file') return ref.path;
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
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (cause) {
    clearTimeout(timer);
    const why = idle.signal.aborted ? `no response within ${timeoutSeconds}s` : (cause as Error).message;
    throw new Error(`GET ${label} failed: ${why}`, { cause });
  }
  if (!response.ok || !response.body) {
    clearTimeout(timer);
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`GET ${label} answered ${response.status} ${response.statusText}; expected 2xx`);
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

/** Peeks at the first two bytes: 1f 8b is gzip. The peeked bytes are put back. */
async function gunzipIfCompressed(raw: Readable): Promise<Readable> {
  const head = await new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = (): void => {
      const chunk = raw.read() as Buffer | null;
      if (chunk === null && !raw.readableEnded) return;
      cleanup();
      resolve(chunk);
    };
    const onEnd = (): void => { cleanup(); resolve(null); };
    const onError = (err: Error): void => { cleanup(); reject(err); };
    const cleanup = (): void => {
      raw.off('readable', onReadable);
      raw.off('end', onEnd);
      raw.off('error', onError);
    };
    raw.on('readable', onReadable);
    raw.once('end', onEnd);
    raw.once('error', onError);
  });
  if (head === null) return Readable.from([]);
  raw.unshift(head);
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return raw;
  const gunzip = createGunzip();
  raw.once('error', (err) => gunzip.destroy(err));
  gunzip.once('close', () => raw.destroy());
  return raw.pipe(gunzip);
}
