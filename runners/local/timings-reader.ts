import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/** A claim statement, as a worker's --timings-file records it. */
export interface ClaimTiming {
  /** Start, epoch milliseconds. */
  at: number;
  ms: number;
  rows: number;
}

/** A completion statement, as a worker's --timings-file records it. */
export interface UpdateTiming {
  at: number;
  ms: number;
  completed: number;
  failed: number;
  retried: number;
}

/** Follows the workers' timings files as they grow, collecting every statement. */
export class TimingsReader {
  readonly claims: ClaimTiming[] = [];
  readonly updates: UpdateTiming[] = [];
  private readonly files = new Map<string, { offset: number; partial: string; claims: number }>();

  /** Starts following a file (it may not exist yet). */
  follow(file: string): void {
    if (!this.files.has(file)) this.files.set(file, { offset: 0, partial: '', claims: 0 });
  }

  /** How many of the followed files have recorded a claim: workers that are up and working. */
  get workersClaiming(): number {
    return [...this.files.values()].filter((f) => f.claims > 0).length;
  }

  /** Reads whatever the files gained since the last call; returns how many statements were added. */
  poll(): number {
    let added = 0;
    const buffer = Buffer.alloc(1 << 16);
    for (const [file, state] of this.files) {
      if (!existsSync(file)) continue;
      const fd = openSync(file, 'r');
      try {
        for (;;) {
          const n = readSync(fd, buffer, 0, buffer.length, state.offset);
          if (n === 0) break;
          state.offset += n;
          const lines = (state.partial + buffer.subarray(0, n).toString('utf8')).split('\n');
          state.partial = lines.pop() ?? '';
          for (const line of lines) {
            const op = this.add(line);
            if (op === 'claim') state.claims++;
            if (op) added++;
          }
        }
      } finally {
        closeSync(fd);
      }
    }
    return added;
  }

  private add(line: string): 'claim' | 'update' | undefined {
    if (line.trim() === '') return undefined;
    const e = JSON.parse(line) as { op: string } & ClaimTiming & UpdateTiming;
    if (e.op === 'claim') {
      this.claims.push({ at: e.at, ms: e.ms, rows: e.rows });
      return 'claim';
    }
    if (e.op === 'update') {
      this.updates.push({ at: e.at, ms: e.ms, completed: e.completed, failed: e.failed, retried: e.retried });
      return 'update';
    }
    return undefined;
  }
}
