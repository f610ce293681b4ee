/**
 * One pg-boss consumer for the worker benchmark, run as its own process like a bulkhead worker: fetch a batch,
 * complete it, until the queue is empty. Prints {done, fetchP50, fetchP99} (seconds) as JSON.
 */
import PgBoss from 'pg-boss';

const [url, queue, batch] = [process.argv[2] ?? '', process.argv[3] ?? 'bench', Number(process.argv[4] ?? 20)];
const boss = new PgBoss({ connectionString: url, max: 1, supervise: false, schedule: false, migrate: false });
boss.on('error', (err: Error) => process.stderr.write(`pg-boss: ${err.message}\n`));
await boss.start();
const latencies: number[] = [];
let done = 0;
for (;;) {
  const t0 = performance.now();
  const jobs = await boss.fetch(queue, { batchSize: batch });
  latencies.push((performance.now() - t0) / 1000);
  if (jobs.length === 0) break;
  await boss.complete(queue, jobs.map((j) => j.id));
  done += jobs.length;
}
await boss.stop({ graceful: false, wait: true });
latencies.sort((a, b) => a - b);
const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(`${JSON.stringify({ done, fetchP50: at(0.5), fetchP99: at(0.99) })}\n`);
