/** How the fake kubelet tells API errors apart and backs off from them. */
import { ApiException } from '@kubernetes/client-node';

function statusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown; statusCode?: unknown } | undefined)?.statusCode ?? (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The object is gone. */
export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** The object already exists, or was changed meanwhile. */
export function isConflict(error: unknown): boolean {
  return statusOf(error) === 409;
}

/** Backoff for the n-th retry (from 0): 100 ms doubling, at most 3 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 3000);
}
