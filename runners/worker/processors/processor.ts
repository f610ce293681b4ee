import pLimit from 'p-limit';
import type { StressRunSpec } from '../../shared/generated/stressrun.js';
import type { Outcome } from '../sql/finish-batch.js';
import { httpProcessor } from './http-processor.js';
import { sleepProcessor } from './sleep-processor.js';

/** One claimed row, as a processor sees it. */
export interface ClaimedRow {
  id: string;
  url: string | null;
  attempts: number;
}

/** Does the work for one row. Never throws: every failure is an outcome. */
export type Processor = (row: ClaimedRow, signal: AbortSignal) => Promise<Outcome>;

/** Runs a task now or when a slot frees up. */
export type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * How many rows a processor may work on at once, per worker: http.concurrency requests; sleep and noop rows all at
 * once. Those need no p-limit queue, which costs a promise, a queue node and a microtask hop per row (20 a batch).
 */
export function processorLimit(spec: StressRunSpec['processor']): Limit {
  return spec.type === 'http' ? pLimit(spec.http?.concurrency ?? 8) : (task) => task();
}

/** The processor the spec names. */
export function createProcessor(spec: StressRunSpec['processor'], random: () => number = Math.random): Processor {
  switch (spec.type) {
    case 'http':
      return httpProcessor(spec.http?.timeoutSeconds ?? 10);
    case 'sleep':
      return sleepProcessor(spec.sleep?.minMs ?? 50, spec.sleep?.maxMs ?? 200, spec.sleep?.failureRate ?? 0, random);
    case 'noop':
      return (row) => Promise.resolve({ id: row.id, kind: 'completed', error: null, result: null });
  }
}
