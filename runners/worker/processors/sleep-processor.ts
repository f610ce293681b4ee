import { sleepUnlessStopped } from '../../shared/stoppable-sleep.js';
import type { ClaimedRow, Processor } from './processor.js';

/** Synthetic work: waits a uniform random time in [minMs, maxMs], and fails (retryably) at failureRate. */
export function sleepProcessor(minMs: number, maxMs: number, failureRate: number, random: () => number): Processor {
  return async (row: ClaimedRow, stop: AbortSignal) => {
    const ms = minMs + random() * (maxMs - minMs);
    // A whole batch sleeps on the one stop signal at once: sleepUnlessStopped adds no listener per row.
    if (!(await sleepUnlessStopped(ms, stop))) return { id: row.id, kind: 'retry', error: 'worker stopped', result: null };
    return random() < failureRate
      ? { id: row.id, kind: 'retry', error: 'synthetic failure (sleep.failureRate)', result: { ms: Math.round(ms) } }
      : { id: row.id, kind: 'completed', error: null, result: { ms: Math.round(ms) } };
  };
}
