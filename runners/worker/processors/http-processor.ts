import type { Outcome } from '../sql/finish-batch.js';
import type { ClaimedRow, Processor } from './processor.js';
import { clipText } from '../../shared/source-text.js';

/**
 * GETs the row's URL. 2xx completes it (status, bytes and time go to result); 4xx fails it for good, since asking
 * again will not help; 5xx, timeouts and connection errors are retried until maxAttempts. The body is read to the
 * end so the byte count is real, and so the connection can be reused.
 */
export function httpProcessor(timeoutSeconds: number): Processor {
  return async (row: ClaimedRow, stop: AbortSignal): Promise<Outcome> => {
    const started = performance.now();
    const done = (kind: Outcome['kind'], error: string | null, result: unknown = null): Outcome => ({ id: row.id, kind, error, result });
    if (!row.url) return done('failed', 'the URL column is empty');
    let url: URL;
    try {
      url = new URL(row.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return done('failed', `not an http(s) URL: ${url.protocol}`);
    } catch {
      return done('failed', 'not a valid URL');
    }
    const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
    try {
      const response = await fetch(url, { signal: AbortSignal.any([timeout, stop]), redirect: 'follow' });
      let bytes = 0;
      if (response.body) for await (const chunk of response.body) bytes += (chunk as Uint8Array).byteLength;
      const result = { status: response.status, bytes, ms: Math.round(performance.now() - started) };
      if (response.ok) return done('completed', null, result);
      const error = `HTTP ${response.status} ${clipText(response.statusText)}`.trim();
      return done(response.status >= 400 && response.status < 500 ? 'failed' : 'retry', error, result);
    } catch (err) {
      if (timeout.aborted) return done('retry', `timed out after ${timeoutSeconds}s`);
      if (stop.aborted) return done('retry', 'worker stopped');
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return done('retry', `request failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
  };
}
