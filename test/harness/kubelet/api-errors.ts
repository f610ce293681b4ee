/** How the fake kubelet tells API errors apart and backs off from them. */
import { httpStatus } from '../../../operator/kube/api-errors.js';

/** The object is gone. */
export function isNotFound(error: unknown): boolean {
  return httpStatus(error) === 404;
}

/** The object already exists, or was changed meanwhile. */
export function isConflict(error: unknown): boolean {
  return httpStatus(error) === 409;
}

/** Backoff for the n-th retry (from 0): 100 ms doubling, at most 3 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 3000);
}
