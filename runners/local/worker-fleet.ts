import { join } from 'node:path';
import { RunnerProcess, describeExit } from './runner-process.js';
import type { ScenarioStressRun } from './scenario.js';
import type { TimingsReader } from './timings-reader.js';

/**
 * The workers of one StressRun, as a Deployment's pods: `bulkhead worker` processes, scaled to the grant. Each
 * records its statements in its own timings file.
 */
export class WorkerFleet {
  private readonly workers: RunnerProcess[] = [];
  private next = 0;
  /** Set when a worker ended on its own: what it said. */
  failure: string | undefined;

  constructor(
    readonly run: ScenarioStressRun,
    private readonly databaseUrl: string,
    private readonly dir: string,
    private readonly timings: TimingsReader,
  ) {}

  /** Workers running now. */
  get running(): number {
    return this.workers.filter((w) => w.alive).length;
  }

  /** Starts or stops workers until `granted` run; the newest go first, as a Deployment scales down. */
  scaleTo(granted: number): void {
    const alive = this.workers.filter((w) => w.alive);
    for (let i = alive.length; i < granted; i++) this.start();
    alive.slice(granted).forEach((w) => w.stop());
  }

  /** Stops every worker and waits for them; a worker still running after `deadlineMs` is killed. */
  async stop(deadlineMs: number): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stopAndWait(deadlineMs)));
  }

  private start(): void {
    const pod = `${this.run.name}-${this.next++}`;
    const timingsFile = join(this.dir, `${pod}.timings.jsonl`);
    this.timings.follow(timingsFile);
    const worker = new RunnerProcess({
      // A short grace period: the sleep processor's work in flight takes at most maxMs.
      args: ['worker', '--timings-file', timingsFile, '--grace-seconds', '5', '--progress-interval', '60'],
      spec: this.run.spec, name: this.run.name, databaseUrl: this.databaseUrl, podName: pod,
    });
    this.workers.push(worker);
    void worker.exited.then((exit) => {
      if (!worker.stopRequested && exit.code !== 0) this.failure ??= `worker ${pod} of StressRun ${this.run.name} ended (${describeExit(exit, worker)})`;
    });
  }
}
