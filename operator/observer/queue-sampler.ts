import type pg from 'pg';
import { parseTableName } from '../../runners/shared/ident.js';
import type { StressRunSpec, StressRunStatus } from '../../runners/shared/generated/stressrun.js';
import { readQueueTable } from '../../runners/worker/queue-table.js';
import { countQueueRows } from './sql/count-queue-rows.js';

type QueueCounts = Required<NonNullable<StressRunStatus['queue']>>;

/** A StressRun's queue as sampled: counts by status and items per second since the previous sample. */
export interface QueueSample {
  queue: QueueCounts;
  itemsPerSecond: number;
}

/**
 * Samples each StressRun's queue table at most once per interval; between samples the last one is returned.
 * Throughput is the change in completed + failed rows over the time between two samples.
 */
export class QueueSampler {
  private readonly last = new Map<string, { at: number; sample: QueueSample }>();

  constructor(private readonly intervalMs: number) {}

  async sample(key: string, pool: pg.Pool, queue: StressRunSpec['queue']): Promise<QueueSample | undefined> {
    const previous = this.last.get(key);
    const now = Date.now();
    if (previous && now - previous.at < this.intervalMs) return previous.sample;
    const name = parseTableName(queue.table);
    const table = await readQueueTable(pool, name);
    const column = table?.columns.has(queue.statusColumn);
    if (!table || !column) return undefined;
    const { rows } = await pool.query<Record<keyof QueueCounts, string>>(countQueueRows(table, queue));
    const row = rows[0];
    if (!row) return undefined;
    const counts: QueueCounts = { pending: Number(row.pending), processing: Number(row.processing), completed: Number(row.completed), failed: Number(row.failed) };
    const done = counts.completed + counts.failed;
    const before = previous ? previous.sample.queue.completed + previous.sample.queue.failed : done;
    const seconds = previous ? (now - previous.at) / 1000 : 0;
    const itemsPerSecond = seconds > 0 ? Math.max(0, Math.round(((done - before) / seconds) * 10) / 10) : 0;
    const sample = { queue: counts, itemsPerSecond };
    this.last.set(key, { at: now, sample });
    return sample;
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
