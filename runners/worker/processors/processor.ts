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

/** How many rows a processor may work on at once, per worker. */
export function processorConcurrency(spec: StressRunSpec['processor']): number {
  return spec.type === 'http' ? (spec.http?.concurrency ?? 8) : Number.MAX_SAFE_INTEGER;
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
