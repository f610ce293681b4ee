/**
 * One graphile-worker consumer for the worker benchmark, run as its own process like a bulkhead worker, with the
 * batching its performance docs advise: a local queue that locks `batch` jobs per fetch and hands them to
 * `batch` concurrent job slots, and completions batched by `completeJobBatchDelay: 0` (the jobs completed in the
 * same tick go out as one DELETE). runOnce() returns once no job is runnable. The task does nothing.
 * Prints {done} as JSON.
 */
import { runOnce } from 'graphile-worker';

const [url, task, batch] = [process.argv[2] ?? '', process.argv[3] ?? 'bench', Number(process.argv[4] ?? 20)];
let done = 0;
await runOnce({
  connectionString: url,
  noHandleSignals: true,
  taskList: { [task]: () => { done++; } },
  preset: {
    worker: {
      concurrentJobs: batch,
      localQueue: { size: batch },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
    },
  },
});
process.stdout.write(`${JSON.stringify({ done })}\n`);
