import { addAbortSignal } from 'node:stream';
import { httpGet, RefusedRequestError, statusLine } from '../../shared/http-get.js';
import type { Outcome } from '../sql/finish-batch.js';
import type { ClaimedRow, Processor } from './processor.js';

/**
 * GETs the row's URL, following redirects by the same rules as the import's http source (http-get.ts). 2xx
 * completes it (status, bytes and time go to result); 4xx, and a URL or redirect those rules refuse, fail it for
 * good, since asking again will not help; 5xx, timeouts and connection errors are retried until maxAttempts. The
 * body is read to the end so the byte count is real, and so the connection can be reused.
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
    const signal = AbortSignal.any([timeout, stop]);
    try {
      const { response } = await httpGet(url, signal);
      addAbortSignal(signal, response);
      let bytes = 0;
      for await (const chunk of response) bytes += (chunk as Buffer).length;
      const status = response.statusCode ?? 0;
      const result = { status, bytes, ms: Math.round(performance.now() - started) };
      if (status >= 200 && status <= 299) return done('completed', null, result);
      // The status code and its standard phrase only: the body and the server's own reason text are never shown.
      return done(status >= 400 && status < 500 ? 'failed' : 'retry', `HTTP ${statusLine(status)}`, result);
    } catch (err) {
      // A refused URL or redirect (link-local, not http(s), too many hops) is refused again next time.
      if (err instanceof RefusedRequestError) return done('failed', `refused: ${err.message}`);
      if (timeout.aborted) return done('retry', `timed out after ${timeoutSeconds}s`);
      if (stop.aborted) return done('retry', 'worker stopped');
      return done('retry', `request failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
}
