/** The HTTP status of a client-node 1.x ApiException (code), or of an error that carries statusCode; else undefined. */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null | undefined;
  const code = e?.statusCode ?? e?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Runs an API call, treating 404 as "nothing there". */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** A short description of an API error for logs and status: the status code and the server's message, no body dump. */
export function describeApiError(err: unknown): string {
  const status = httpStatus(err);
  const body = (err as { body?: unknown } | null)?.body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      message = undefined;
    }
  }
  if (status !== undefined) return `HTTP ${status}${message ? `: ${message}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
