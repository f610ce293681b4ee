import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { takeServerSnapshot } from '../../operator/budget/server-snapshot.js';
import type { ServerBudget } from '../../operator/budget/server-budget.js';
import { applicationName, connect } from '../shared/connection.js';
import { describeError } from '../shared/errors.js';
import type { ImportSummary } from '../import/summary.js';
import type { LocalConfig } from './local-command.js';
import { LocalGrants } from './local-grants.js';
import { ImportTracker } from './import-tracker.js';
import { itemsOf, type Window } from './measurements.js';
import { latency } from '../shared/latency.js';
import type { ProgressDisplay } from './progress-display.js';
import { RunnerProcess, describeExit } from './runner-process.js';
import { generateImportCsv, initQueues, runSetupSql } from './scenario-setup.js';
import { LOCAL_NAMESPACE, type Scenario } from './scenario.js';
import { takeSample, type ServerSample } from './server-sampler.js';
import { queueCounts } from './sql/queue-counts.js';
import { Timeline } from './timeline.js';
import { TimingsReader, type ClaimTiming, type UpdateTiming } from './timings-reader.js';
import { WorkerFleet } from './worker-fleet.js';

/** Everything one run measured: what the report is made from. Times in epoch milliseconds. */
export interface MeasuredRun {
  startedAt: number;
  endedAt: number;
  /** Stopped by Ctrl-C or SIGTERM before the timeline ended. */
  interrupted: boolean;
  /** Why the run ended early, when a runner failed. */
  failure: string | undefined;
  windows: Window[];
  claims: ClaimTiming[];
  updates: UpdateTiming[];
  samples: ServerSample[];
  /** The last budget pass. */
  budget: ServerBudget | undefined;
  stressRuns: { name: string; table: string; wanted: number; granted: number; peakRunning: number; queueBefore: Record<string, number>; queueAfter: Record<string, number> | undefined }[];
  import: {
    name: string; table: string; rows: number | undefined; exit: string | undefined; summary: ImportSummary | undefined;
    phaseSeconds: Record<string, number>; appliedAt: number | undefined; admittedAt: number | undefined; waitMessage: string | undefined;
  } | undefined;
}

/** What a run needs. */
export interface LocalRunContext {
  config: LocalConfig;
  scenario: Scenario;
  databaseUrl: string;
  stop: AbortSignal;
  display: ProgressDisplay;
}

const TICK_MS = 1000;

/**
 * The timeline: set up, start the workers (as many as the budget grants), let them run alone for the baseline,
 * apply the import and start it once the budget admits it, run through its phases, then the cooldown. Once a
 * second: a budget pass (workers follow their grant), a sample of pg_stat_activity, the live display. Whatever
 * ends the run (its end, a stop, a failed runner), every runner is stopped and what was measured is returned.
 */
export async function runLocal(ctx: LocalRunContext): Promise<MeasuredRun> {
  const { config, scenario, databaseUrl, display } = ctx;
  const say = (line: string): void => display.note(line);
  const client = await connect({ databaseUrl, applicationName: applicationName('operator', LOCAL_NAMESPACE, 'local') });
  // A dropped connection (the server restarted) fails the next query, which ends the run with a report.
  client.on('error', (err) => display.note(`lost the connection to the server: ${err.message}`));
  const work = await mkdtemp(join(tmpdir(), 'bulkhead-local-'));
  try {
    await runSetupSql(client, scenario.setupSql, say);
    const imp = scenario.imports[0];
    let totalRows: number | undefined;
    if (imp?.generate) {
      say(`generating ${config.rows} rows for CsvImport ${imp.name}`);
      await generateImportCsv(client, imp, config.rows, work);
      totalRows = config.rows;
    }
    say('bulkhead queue init for each StressRun');
    await initQueues(scenario, databaseUrl);
    return await runTimeline(ctx, client, work, totalRows);
  } finally {
    await client.end().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

async function readQueue(client: pg.Client, table: string, statusColumn: string): Promise<Record<string, number>> {
  const { rows } = await client.query<{ status: string; n: number }>(queueCounts(table, statusColumn));
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function runTimeline(ctx: LocalRunContext, client: pg.Client, work: string, totalRows: number | undefined): Promise<MeasuredRun> {
  const { config, scenario, databaseUrl, display, stop } = ctx;
  const say = (line: string): void => display.note(line);
  const imp = scenario.imports[0];
  const timings = new TimingsReader();
  const grants = new LocalGrants(scenario);
  const timeline = new Timeline();
  const fleets = scenario.stressRuns.map((run) => new WorkerFleet(run, databaseUrl, work, timings));
  const queueBefore = await Promise.all(scenario.stressRuns.map((r) => readQueue(client, r.validated.queue.table, r.validated.queue.statusColumn)));
  const peakRunning = new Map<string, number>();
  const applications = {
    import: scenario.imports.map((i) => applicationName('import', LOCAL_NAMESPACE, i.name)),
    worker: scenario.stressRuns.map((r) => applicationName('worker', LOCAL_NAMESPACE, r.name)),
  };
  const run: MeasuredRun = {
    startedAt: Date.now(), endedAt: 0, interrupted: false, failure: undefined, windows: [], claims: timings.claims,
    updates: timings.updates, samples: [], budget: undefined, stressRuns: [],
    import: imp && {
      name: imp.name, table: imp.validated.target.table, rows: totalRows, exit: undefined, summary: undefined, phaseSeconds: {},
      appliedAt: undefined, admittedAt: undefined, waitMessage: undefined,
    },
  };
  // An object, not a variable: the import's exit handler moves the stage on from outside the loop.
  const state: { stage: 'startup' | 'baseline' | 'waiting' | 'import' | 'cooldown' | 'done' } = { stage: 'startup' };
  let baselineFrom = 0;
  let cooldownFrom = 0;
  let runner: RunnerProcess | undefined;
  const tracker = new ImportTracker(timeline, () => {
    if (state.stage === 'import') timeline.begin('cooldown');
  });
  let granted = new Map<string, number>();
  let importAdmitted = false;
  let importWait: string | undefined;

  const tick = async (): Promise<void> => {
    const decision = grants.pass(await takeServerSnapshot(client));
    run.budget = decision.budget;
    granted = decision.workers;
    importAdmitted = decision.importAdmitted;
    importWait = decision.importWait;
    for (const fleet of fleets) {
      fleet.scaleTo(granted.get(fleet.run.name) ?? 0);
      peakRunning.set(fleet.run.name, Math.max(peakRunning.get(fleet.run.name) ?? 0, fleet.running));
    }
    const sample = await takeSample(client, applications);
    run.samples.push(sample);
    timings.poll();
    display.update(liveStatus(run, fleets, timeline.current ?? state.stage, tracker, runner !== undefined, totalRows));
  };

  for (const r of scenario.stressRuns) grants.apply('StressRun', r.name);
  // The baseline starts once every granted worker has claimed: process start-up and the first, unprepared
  // statements would otherwise count as slowness of the baseline.
  timeline.begin('startup', run.startedAt);
  try {
    while (state.stage !== 'done' && !stop.aborted) {
      await tick();
      const failed = fleets.find((f) => f.failure !== undefined)?.failure;
      if (failed) throw new Error(failed);
      const now = Date.now();
      const wanted = [...granted.values()].reduce((n, g) => n + g, 0);
      if (state.stage === 'startup' && wanted > 0 && timings.workersClaiming >= wanted) {
        state.stage = 'baseline';
        baselineFrom = now;
        timeline.begin('baseline', now);
        say(`baseline: ${wanted} workers run alone for ${config.baselineSeconds} s`);
      } else if (state.stage === 'baseline' && now - baselineFrom >= config.baselineSeconds * 1000) {
        if (imp && run.import) {
          grants.apply('CsvImport', imp.name);
          run.import.appliedAt = now;
          timeline.begin('waiting', now);
          state.stage = 'waiting';
          continue; // the next pass decides admission
        }
        state.stage = 'cooldown';
        cooldownFrom = now;
        timeline.begin('cooldown', now);
      } else if (state.stage === 'waiting' && imp && run.import) {
        if (importAdmitted) {
          run.import.admittedAt = now;
          say(`CsvImport ${imp.name} admitted by the budget; importing`);
          runner = new RunnerProcess({ args: ['import', '--progress-interval', '1'], spec: imp.spec, name: imp.name, databaseUrl, onRecord: (r) => tracker.onRecord(r) });
          tracker.started(now);
          state.stage = 'import';
          const started = runner;
          void started.exited.then((exit) => {
            if (run.import) run.import.exit = describeExit(exit, started);
            grants.releaseImport();
            if (timeline.current !== 'cooldown') timeline.begin('cooldown');
            cooldownFrom = Date.now();
            state.stage = 'cooldown';
            say(`CsvImport ${imp.name} ended (${run.import?.exit ?? ''}); cooldown for ${config.cooldownSeconds} s`);
          });
        } else if (importWait !== run.import.waitMessage) {
          run.import.waitMessage = importWait;
          if (importWait) say(`CsvImport ${imp.name} is Pending: ${importWait}`);
        }
      } else if (state.stage === 'cooldown' && now - cooldownFrom >= config.cooldownSeconds * 1000) {
        state.stage = 'done';
        break;
      }
      await sleep(TICK_MS, undefined, { signal: stop }).catch(() => undefined);
    }
    run.interrupted = stop.aborted;
  } catch (err) {
    run.failure = describeError(err);
  } finally {
    const endedAt = Date.now();
    timeline.end(endedAt);
    run.endedAt = endedAt;
    if (runner?.alive) say('stopping the import');
    if (state.stage !== 'done' || runner?.alive) say('stopping the workers');
    await Promise.all([runner?.stopAndWait(30_000), ...fleets.map((f) => f.stop(15_000))]);
    timings.poll();
    run.windows = timeline.windows(endedAt);
    if (runner && run.import) {
      run.import.summary = parseSummary(runner.stdout);
      run.import.phaseSeconds = Object.fromEntries(tracker.phaseSeconds);
    }
    for (const [i, r] of scenario.stressRuns.entries()) {
      const after = await readQueue(client, r.validated.queue.table, r.validated.queue.statusColumn).catch(() => undefined);
      run.stressRuns.push({
        name: r.name, table: r.validated.queue.table, wanted: r.validated.workers, granted: granted.get(r.name) ?? 0,
        peakRunning: peakRunning.get(r.name) ?? 0, queueBefore: queueBefore[i] ?? {}, queueAfter: after,
      });
    }
  }
  return run;
}

function parseSummary(stdout: string): ImportSummary | undefined {
  const line = stdout.split('\n').find((l) => l.includes('"event":"summary"'));
  return line ? (JSON.parse(line) as ImportSummary) : undefined;
}

/** The live numbers: items per second and claim p95 over the last 5 s. */
function liveStatus(run: MeasuredRun, fleets: WorkerFleet[], window: string, tracker: ImportTracker, importStarted: boolean, totalRows: number | undefined): Parameters<ProgressDisplay['update']>[0] {
  const now = Date.now();
  const recent = (s: { at: number }): boolean => s.at >= now - 5000;
  const items = run.updates.filter(recent).reduce((n, u) => n + itemsOf(u), 0);
  const sample = run.samples.at(-1);
  const capacity = run.budget?.capacity;
  return {
    elapsedSeconds: (now - run.startedAt) / 1000,
    window,
    import: importStarted ? { phase: tracker.phase, rows: tracker.rows, totalRows, rowsPerSecond: tracker.rowsPerSecond } : undefined,
    workers: {
      running: fleets.reduce((n, f) => n + f.running, 0),
      wanted: fleets.reduce((n, f) => n + f.run.validated.workers, 0),
      itemsPerSecond: Math.round(items / 5),
      claimP95Ms: latency(run.claims.filter(recent).map((c) => c.ms)).p95,
    },
    connections: {
      bulkhead: (sample?.importConnections ?? 0) + (sample?.workerConnections ?? 0),
      capacity: capacity?.capacity ?? 0, clients: sample?.clients ?? 0, maxConnections: capacity?.maxConnections ?? 0,
    },
    lockWaits: {
      now: sample?.lockWaiting ?? 0,
      peak: Math.max(0, ...run.samples.map((s) => s.lockWaiting)),
      longestSeconds: Math.max(0, ...run.samples.map((s) => s.longestLockWait)),
    },
  };
}
