/**
 * One pg-boss 12 consumer for the worker benchmark, run as its own process like a bulkhead worker, configured as
 * pg-boss's docs advise for throughput: `work()` with a batch handler (`batchSize` jobs per fetch, completed by one
 * `complete()` of the whole batch) and `burstWhenBatchFull`, so a full batch is followed by the next fetch at once
 * instead of after the 2 s polling interval. The handler does nothing.
 *
 * work() never returns on its own, so every 200 ms this process asks the job table whether anything is still queued or active
 * in the queue (an index-only probe of job_i14, 5 a second against about 1,000 fetches a second) and stops pg-boss
 * once nothing is. Prints {done, batchP50, batchP99} (seconds between handler calls of this process) as JSON.
 */
import pg from 'pg';
import { PgBoss } from 'pg-boss';

const [url, queue, batch] = [process.argv[2] ?? '', process.argv[3] ?? 'bench', Number(process.argv[4] ?? 20)];
// supervise and schedule off: the maintenance and cron loops are a background cost this benchmark leaves out.
const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false, migrate: false });
boss.on('error', (err: Error) => process.stderr.write(`pg-boss: ${err.message}\n`));
await boss.start();
const gaps: number[] = [];
let done = 0;
let last = performance.now();
await boss.work(queue, { batchSize: batch, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 }, (jobs) => {
  const now = performance.now();
  gaps.push((now - last) / 1000);
  last = now;
  done += jobs.length;
  return Promise.resolve();
});

const probe = new pg.Client({ connectionString: url });
await probe.connect();
const busy = async (): Promise<boolean> => (await probe.query<{ busy: boolean }>(
  `SELECT EXISTS (SELECT 1 FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')) AS busy`, [queue])).rows[0]?.busy !== false;
while (await busy()) await new Promise((resolve) => setTimeout(resolve, 200));
await probe.end();
await boss.stop({ graceful: true });
gaps.sort((a, b) => a - b);
const at = (q: number): number => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))] ?? 0;
process.stdout.write(`${JSON.stringify({ done, batchP50: at(0.5), batchP99: at(0.99) })}\n`);
