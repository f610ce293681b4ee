import { closeSync, openSync, writeSync } from 'node:fs';

/** The finished rows of one completion statement, by what became of them. */
export interface FinishedCounts {
  completed: number;
  failed: number;
  retried: number;
}

/**
 * `--timings-file`: one JSON line per claim and per completion statement, appended as it finishes, so that
 * `bulkhead local` can compute exact latency percentiles for any time window (histogram buckets are too coarse
 * to tell 2 ms from 4 ms). `at` is the statement's start in epoch milliseconds, `ms` its duration:
 *   {"op":"claim","at":1764320000123,"ms":1.42,"rows":20}
 *   {"op":"update","at":1764320000334,"ms":0.97,"completed":19,"failed":0,"retried":1}
 * Writes are synchronous and small (a few dozen a second), so a killed worker loses at most its last line.
 */
export class StatementTimings {
  private readonly fd: number;

  constructor(file: string) {
    this.fd = openSync(file, 'a');
  }

  /** Records a claim that started at `at` (epoch ms), took `seconds` and returned `rows` rows. */
  claim(at: number, seconds: number, rows: number): void {
    this.write({ op: 'claim', at, ms: round(seconds * 1000), rows });
  }

  /** Records a completion statement that started at `at` (epoch ms) and took `seconds`. */
  update(at: number, seconds: number, counts: FinishedCounts): void {
    this.write({ op: 'update', at, ms: round(seconds * 1000), ...counts });
  }

  close(): void {
    closeSync(this.fd);
  }

  private write(event: object): void {
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
