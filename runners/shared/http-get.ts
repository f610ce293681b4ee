import { request as httpRequest, STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { redactUrl } from './connection.js';
import { RefusedRequestError, ipLiteral, isLinkLocal, lookupRefusingLinkLocal } from './link-local.js';

export { RefusedRequestError } from './link-local.js';

/** Redirects followed at most; one more is refused. */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const lookup = lookupRefusingLinkLocal();

/** A final answer: the first response that is not a redirect, whatever its status, and the URL that gave it. */
export interface HttpAnswer {
  response: IncomingMessage;
  url: URL;
}

/**
 * GETs a URL for the import's http source and the worker's http processor alike, following at most MAX_REDIRECTS
 * redirects. Every hop, the first included, must be http or https and must not lead to a link-local address: an IP
 * address in the URL is checked before connecting, a name when it is resolved (link-local.ts). A refusal is a
 * RefusedRequestError. Credentials in the URL travel as Basic authorization, and only to the URL's own origin.
 * `signal` covers the wait for the answer; the caller owns the body, and must read or destroy it.
 */
export async function httpGet(url: URL, signal: AbortSignal): Promise<HttpAnswer> {
  refuseUnsafe(url, 'the URL');
  const authorization = basicAuthorization(url);
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const headers: OutgoingHttpHeaders = authorization && current.origin === url.origin ? { authorization } : {};
    const response = await requestOnce(current, headers, signal);
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(response.statusCode ?? 0) || location === undefined) return { response, url: current };
    // A redirect's body is never read.
    response.destroy();
    if (redirects === MAX_REDIRECTS) throw new RefusedRequestError(`more than ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new RefusedRequestError(`a redirect from ${redactUrl(current.href)} to a Location that is not a URL`);
    }
    refuseUnsafe(next, 'a redirect');
    current = next;
  }
}

/** `403 Forbidden`: the status code and the standard reason phrase, never the server's own text or body. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

function refuseUnsafe(url: URL, what: string): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RefusedRequestError(`${what} to ${redactUrl(url.href)}: only http and https are followed`);
  }
  const ip = ipLiteral(url);
  if (ip !== undefined && isLinkLocal(ip)) {
    throw new RefusedRequestError(`${what} to ${redactUrl(url.href)}: ${ip} is a link-local address`);
  }
}

function basicAuthorization(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/** One GET, without the URL's credentials (they go in headers, when at all). */
function requestOnce(url: URL, headers: OutgoingHttpHeaders, signal: AbortSignal): Promise<IncomingMessage> {
  const target = new URL(url);
  target.username = '';
  target.password = '';
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const request = send(target, { headers, lookup }, (response) => {
      signal.removeEventListener('abort', onAbort);
      resolve(response);
    });
    const onAbort = (): void => void request.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    request.on('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    request.end();
  });
}
