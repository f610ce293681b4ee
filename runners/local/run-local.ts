import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { ServerBudget } from '../../operator/budget/server-budget.js';
import { applicationName, connect } from '../shared/connection.js';
import type { ImportSummary } from '../import/summary.js';
import type { LocalConfig } from './local-command.js';
import type { PacingEvent } from './import-tracker.js';
import type { Window } from './measurements.js';
import type { ProgressDisplay } from './progress-display.js';
import { generateImportCsv, initQueues, prepareBulkheadSchema, resetForNextTimeline, runSetupSql, type GeneratedCsv } from './scenario-setup.js';
import { LOCAL_NAMESPACE, type Scenario } from './scenario.js';
import type { ServerSample } from './server-sampler.js';
import { withMergeTimeGoal, type TimelinePlan } from './timeline-plans.js';
import { TimelineRun } from './timeline-run.js';
import type { ClaimTiming, UpdateTiming } from './timings-reader.js';

/** Everything one run measured: what the report is made from. Times in epoch milliseconds. */
export interface MeasuredRun {
  /** 'pacing off' or 'pacing on' when comparing (see timeline-plans.ts); undefined for a plain run. */
  label: string | undefined;
  /** spec.merge.pacing the import ran with; undefined when unpaced. */
  pacing: Record<string, unknown> | undefined;
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
    /** Rows the merge went through, from the import's summary (its last progress record may be a second old). */
    finalRows: number | undefined;
    /** The import's pacing log records: workers-baseline, throttled, unthrottled. */
    pacingEvents: PacingEvent[];
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

/**
 * Sets the scenario up once (setup SQL, the generated CSV, queue init, the bulkhead schema), then runs each planned
 * timeline (see timeline-run.ts), putting the target and the queues back between two (see resetForNextTimeline).
 * A timeline that is stopped or fails ends the run: the ones measured so far are returned.
 */
export async function runLocal(ctx: LocalRunContext, plans: TimelinePlan[]): Promise<MeasuredRun[]> {
  const { config, scenario, databaseUrl, display } = ctx;
  const say = (line: string): void => display.note(line);
  const client = await connect({ databaseUrl, applicationName: applicationName('operator', LOCAL_NAMESPACE, 'local') });
  // A dropped connection (the server restarted) fails the next query, which ends the run with a report.
  client.on('error', (err) => display.note(`lost the connection to the server: ${err.message}`));
  const work = await mkdtemp(join(tmpdir(), 'bulkhead-local-'));
  try {
    const csv = await setUp(ctx, client, work);
    const runs: MeasuredRun[] = [];
    for (const [i, planned] of plans.entries()) {
      const imp = scenario.imports[0];
      const plan = runs[0] && !runs[0].pacing ? withMergeTimeGoal(planned, runs[0]) : planned;
      if (ctx.stop.aborted) break;
      if (i > 0 && imp && csv) await resetForNextTimeline(client, scenario, imp, csv, say);
      if (plan.label) say(`timeline ${i + 1} of ${plans.length}: ${plan.label}`);
      const run = await new TimelineRun(ctx, client, join(work, `timeline-${i + 1}`), plan, csv ? config.rows : undefined).execute();
      runs.push(run);
      if (run.interrupted || run.failure || ctx.stop.aborted) break;
    }
    return runs;
  } finally {
    await client.end().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

/** The setup SQL, the generated CSV (when annotated), queue init for each StressRun, and the bulkhead schema. */
async function setUp(ctx: LocalRunContext, client: pg.Client, work: string): Promise<GeneratedCsv | undefined> {
  const { config, scenario, databaseUrl, display } = ctx;
  const say = (line: string): void => display.note(line);
  await runSetupSql(client, scenario.setupSql, say);
  const imp = scenario.imports[0];
  let csv: GeneratedCsv | undefined;
  if (imp?.generate) {
    say(`generating ${config.rows} rows for CsvImport ${imp.name}`);
    csv = await generateImportCsv(client, imp, config.rows, work);
  }
  say('bulkhead queue init for each StressRun');
  await initQueues(scenario, databaseUrl);
  if (imp) await prepareBulkheadSchema(databaseUrl, ctx.stop);
  return csv;
}
