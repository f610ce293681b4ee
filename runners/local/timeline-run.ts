import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { takeServerSnapshot } from '../../operator/budget/server-snapshot.js';
import { applicationName } from '../shared/connection.js';
import { describeError } from '../shared/errors.js';
import { ImportTracker } from './import-tracker.js';
import { liveStatus } from './live-status.js';
import { LocalGrants } from './local-grants.js';
import type { LocalRunContext, MeasuredRun } from './run-local.js';
import { RunnerProcess, describeExit } from './runner-process.js';
import { LOCAL_NAMESPACE } from './scenario.js';
import { takeSample, type RunApplications } from './server-sampler.js';
import { queueCounts } from './sql/queue-counts.js';
import { Timeline } from './timeline.js';
import { withPacing, type TimelinePlan } from './timeline-plans.js';
import { TimingsReader } from './timings-reader.js';
import { WorkerFleet } from './worker-fleet.js';

const TICK_MS = 1000;

type Stage = 'startup' | 'baseline' | 'waiting' | 'import' | 'cooldown' | 'done';

async function readQueue(client: pg.Client, table: string, statusColumn: string): Promise<Record<string, number>> {
  const { rows } = await client.query<{ status: string; n: number }>(queueCounts(table, statusColumn));
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

function parseSummary(stdout: string): NonNullable<MeasuredRun['import']>['summary'] {
  const line = stdout.split('\n').find((l) => l.includes('"event":"summary"'));
  return line ? (JSON.parse(line) as NonNullable<MeasuredRun['import']>['summary']) : undefined;
}

/**
 * One timeline: start the workers (as many as the budget grants), let them run alone for the baseline, apply the
 * import and start it once the budget admits it, run through its phases, then the cooldown. Once a second: a budget
 * pass (workers follow their grant), a sample of pg_stat_activity and of the import's pacing, the live display.
 * Whatever ends it (its end, a stop, a failed runner), every runner is stopped and what was measured is returned.
 */
export class TimelineRun {
  private readonly timings = new TimingsReader();
  private readonly grants: LocalGrants;
  private readonly timeline = new Timeline();
  private readonly fleets: WorkerFleet[];
  private readonly peakRunning = new Map<string, number>();
  private readonly applications: RunApplications;
  private readonly tracker: ImportTracker;
  private readonly run: MeasuredRun;
  private stage: Stage = 'startup';
  /** When the baseline or the cooldown began. */
  private stageFrom = 0;
  private runner: RunnerProcess | undefined;
  private granted = new Map<string, number>();
  private importAdmitted = false;
  private importWait: string | undefined;

  constructor(
    private readonly ctx: LocalRunContext,
    private readonly client: pg.Client,
    private readonly dir: string,
    private readonly plan: TimelinePlan,
    totalRows: number | undefined,
  ) {
    const { scenario, databaseUrl } = ctx;
    const imp = scenario.imports[0];
    this.grants = new LocalGrants(scenario);
    this.fleets = scenario.stressRuns.map((run) => new WorkerFleet(run, databaseUrl, dir, this.timings));
    this.applications = {
      import: scenario.imports.map((i) => applicationName('import', LOCAL_NAMESPACE, i.name)),
      worker: scenario.stressRuns.map((r) => applicationName('worker', LOCAL_NAMESPACE, r.name)),
      importId: imp && `${LOCAL_NAMESPACE}/${imp.name}`,
    };
    this.run = {
      label: plan.label, pacing: plan.pacing, startedAt: Date.now(), endedAt: 0, interrupted: false, failure: undefined, windows: [],
      claims: this.timings.claims, updates: this.timings.updates, samples: [], budget: undefined, stressRuns: [],
      import: imp && {
        name: imp.name, table: imp.validated.target.table, rows: totalRows, exit: undefined, summary: undefined, phaseSeconds: {},
        appliedAt: undefined, admittedAt: undefined, waitMessage: undefined, finalRows: undefined, pacingEvents: [],
      },
    };
    // The import's exit, not its 'done' record, ends the import window: see onImportExit.
    this.tracker = new ImportTracker(this.timeline, () => {
      if (this.stage === 'import') this.timeline.begin('cooldown');
    });
  }

  private say(line: string): void {
    this.ctx.display.note(line);
  }

  /** Runs the timeline to its end, a stop, or a failure. */
  async execute(): Promise<MeasuredRun> {
    const { stop } = this.ctx;
    await mkdir(this.dir, { recursive: true });
    const queueBefore = await Promise.all(this.ctx.scenario.stressRuns.map((r) => readQueue(this.client, r.validated.queue.table, r.validated.queue.statusColumn)));
    this.run.startedAt = Date.now();
    for (const r of this.ctx.scenario.stressRuns) this.grants.apply('StressRun', r.name);
    // The baseline starts once every granted worker has claimed: process start-up and the first, unprepared
    // statements would otherwise count as slowness of the baseline.
    this.timeline.begin('startup', this.run.startedAt);
    try {
      while (this.stage !== 'done' && !stop.aborted) {
        await this.tick();
        const failed = this.fleets.find((f) => f.failure !== undefined)?.failure;
        if (failed) throw new Error(failed);
        if (this.step(Date.now())) continue;
        await sleep(TICK_MS, undefined, { signal: stop }).catch(() => undefined);
      }
      this.run.interrupted = stop.aborted;
    } catch (err) {
      this.run.failure = describeError(err);
    } finally {
      await this.finish(queueBefore);
    }
    return this.run;
  }

  /** A budget pass, the workers scaled to it, a sample of the server, the timings read, the live display. */
  private async tick(): Promise<void> {
    const decision = this.grants.pass(await takeServerSnapshot(this.client));
    this.run.budget = decision.budget;
    this.granted = decision.workers;
    this.importAdmitted = decision.importAdmitted;
    this.importWait = decision.importWait;
    for (const fleet of this.fleets) {
      fleet.scaleTo(this.granted.get(fleet.run.name) ?? 0);
      this.peakRunning.set(fleet.run.name, Math.max(this.peakRunning.get(fleet.run.name) ?? 0, fleet.running));
    }
    this.run.samples.push(await takeSample(this.client, this.applications));
    this.timings.poll();
    const window = this.timeline.current ?? this.stage;
    this.ctx.display.update(liveStatus(this.run, this.fleets, this.plan.label ? `${this.plan.label}: ${window}` : window, this.tracker, this.runner !== undefined));
  }

  /** Moves the timeline on when its stage is over; true to take the next pass at once. */
  private step(now: number): boolean {
    const { config } = this.ctx;
    const wanted = [...this.granted.values()].reduce((n, g) => n + g, 0);
    if (this.stage === 'startup' && wanted > 0 && this.timings.workersClaiming >= wanted) {
      this.enter('baseline', now);
      this.say(`baseline: ${wanted} workers run alone for ${config.baselineSeconds} s`);
    } else if (this.stage === 'baseline' && now - this.stageFrom >= config.baselineSeconds * 1000) {
      if (!this.run.import) this.enter('cooldown', now);
      else {
        this.applyImport(now);
        return true; // the next pass decides admission
      }
    } else if (this.stage === 'waiting') {
      this.admitImport(now);
    } else if (this.stage === 'cooldown' && now - this.stageFrom >= config.cooldownSeconds * 1000) {
      this.stage = 'done';
    }
    return false;
  }

  private enter(stage: 'baseline' | 'cooldown', at: number): void {
    this.stage = stage;
    this.stageFrom = at;
    if (this.timeline.current !== stage) this.timeline.begin(stage, at);
  }

  private applyImport(now: number): void {
    const imp = this.ctx.scenario.imports[0];
    if (!imp || !this.run.import) return;
    this.grants.apply('CsvImport', imp.name);
    this.run.import.appliedAt = now;
    this.timeline.begin('waiting', now);
    this.stage = 'waiting';
  }

  /** Starts the import once the budget admits it; says why it waits otherwise. */
  private admitImport(now: number): void {
    const imp = this.ctx.scenario.imports[0];
    const measured = this.run.import;
    if (!imp || !measured) return;
    if (!this.importAdmitted) {
      if (this.importWait !== measured.waitMessage) {
        measured.waitMessage = this.importWait;
        if (this.importWait) this.say(`CsvImport ${imp.name} is Pending: ${this.importWait}`);
      }
      return;
    }
    measured.admittedAt = now;
    this.say(`CsvImport ${imp.name} admitted by the budget; importing${this.plan.pacing ? ` with merge pacing ${JSON.stringify(this.plan.pacing)}` : ''}`);
    const runner = this.runner = new RunnerProcess({
      args: ['import', '--progress-interval', '1'], spec: withPacing(imp.spec, this.plan.pacing), name: imp.name, databaseUrl: this.ctx.databaseUrl,
      onRecord: (r) => this.tracker.onRecord(r),
    });
    this.tracker.started(now);
    this.stage = 'import';
    void runner.exited.then((exit) => this.onImportExit(describeExit(exit, runner)));
  }

  /** The import ended: its grant goes back, its final count shows, and the cooldown starts. */
  private onImportExit(exit: string): void {
    const measured = this.run.import;
    if (measured) {
      measured.exit = exit;
      measured.summary = parseSummary(this.runner?.stdout ?? '');
    }
    this.tracker.finished(measured?.summary);
    this.grants.releaseImport();
    this.enter('cooldown', Date.now());
    this.say(`CsvImport ${measured?.name ?? ''} ended (${exit}); cooldown for ${this.ctx.config.cooldownSeconds} s`);
  }

  /** Stops every runner, reads the last timings and the queue, and closes the windows. */
  private async finish(queueBefore: Record<string, number>[]): Promise<void> {
    const endedAt = Date.now();
    this.timeline.end(endedAt);
    this.run.endedAt = endedAt;
    if (this.runner?.alive) this.say('stopping the import');
    if (this.stage !== 'done' || this.runner?.alive) this.say('stopping the workers');
    await Promise.all([this.runner?.stopAndWait(30_000), ...this.fleets.map((f) => f.stop(15_000))]);
    this.timings.poll();
    this.run.windows = this.timeline.windows(endedAt);
    if (this.runner && this.run.import) {
      this.run.import.summary ??= parseSummary(this.runner.stdout);
      this.run.import.phaseSeconds = Object.fromEntries(this.tracker.phaseSeconds);
      this.run.import.finalRows = this.tracker.finalRows;
      this.run.import.pacingEvents = this.tracker.pacingEvents;
    }
    for (const [i, r] of this.ctx.scenario.stressRuns.entries()) {
      const after = await readQueue(this.client, r.validated.queue.table, r.validated.queue.statusColumn).catch(() => undefined);
      this.run.stressRuns.push({
        name: r.name, table: r.validated.queue.table, wanted: r.validated.workers, granted: this.granted.get(r.name) ?? 0,
        peakRunning: this.peakRunning.get(r.name) ?? 0, queueBefore: queueBefore[i] ?? {}, queueAfter: after,
      });
    }
  }
}
