import { BulkheadError, InvalidInputError, describeError } from '../shared/errors.js';
import { parseTableName } from '../shared/ident.js';
import { clipText, SOURCE_TEXT_BYTES } from '../shared/source-text.js';
import { Session } from '../shared/session.js';
import { migrateSchema } from '../shared/bulkhead-schema/migrate-schema.js';
import type { Logger } from '../shared/logger.js';
import type { ImportConfig } from './import-config.js';
import type { ImportMetrics } from './import-metrics.js';
import { openSource, type SourceRef } from './open-source.js';
import { splitHeader } from './csv-header.js';
import { readTargetTable } from './target-table.js';
import { planImport, type ImportPlan } from './import-plan.js';
import { ProgressReporter } from './progress.js';
import { STAGING_SCHEMA, dropAbandonedStaging, dropStaging, lockImport, stagingNames, unlockImport, type StagingNames } from './staging.js';
import { copyToStage, type CopyResult } from './copy-to-stage.js';
import { recordCheckPlan } from './record-checks.js';
import { TYPED_STAGING_VERSION, englishMessages, stageLayout } from './stage-layout.js';
import { mergeIntoTarget, type MergeCounts, type MergeRange } from './merge-into-target.js';
import type { ImportSummary } from './summary.js';
import { recordImportProgress } from './sql/record-import-progress.js';
import { BUILTIN_INPUT_CHECK_VERSION, inputErrorFunction } from './sql/input-error-function.js';
import { createStage } from './sql/create-stage.js';
import { clearRejects } from './sql/clear-rejects.js';
import { recordFramingRejects } from './sql/record-framing-rejects.js';
import { recordValueRejects } from './sql/record-value-rejects.js';
import { recordSkippedRows } from './sql/record-skipped-rows.js';
import { messageLocale } from './sql/message-locale.js';
import { summarizeRejects } from './sql/summarize-rejects.js';
import { buildReady } from './sql/build-ready.js';
import { checkKeyOrder } from './sql/check-key-order.js';
import { indexOrderColumn } from './sql/index-order-column.js';
import { readySource, stageSource, type MergeSource } from './sql/merge-source.js';
import { countNoun } from '../shared/count-noun.js';
import { sleepUnlessStopped } from '../shared/stoppable-sleep.js';
import { MergePacer } from './pacing/merge-pacer.js';
import { readBaseline } from './pacing/pacing-reads.js';
import type { PacingSpec, WorkerLatency } from './pacing/pacing-controller.js';

/** What a run needs from its surroundings. */
export interface ImportContext {
  config: ImportConfig;
  source: SourceRef;
  log: Logger;
  metrics: ImportMetrics;
  stop: AbortSignal;
  stopSignal: () => NodeJS.Signals;
}

const SAMPLE_REJECTS = 20;
/** A reject's reason in messages: PostgreSQL's words (up to about 60 bytes) and the value it quotes. */
const REASON_BYTES = 2 * SOURCE_TEXT_BYTES;

/**
 * Runs one import: validate, COPY into staging, check the staged rows, de-duplicate, merge, clean up.
 * The summary is filled in as it goes, so a failure still reports what was done. Throws on failure, with
 * summary.phase = Failed; staging is dropped on every path.
 */
export async function runImport(ctx: ImportContext, summary: ImportSummary): Promise<void> {
  const { config, log, metrics } = ctx;
  const { spec } = config;
  const file = config.sourceLabel;
  const importId = `${config.namespace}/${config.name}`;
  const names = stagingNames(config.namespace, config.name);
  const started = performance.now();
  const progress = new ProgressReporter(log, config.progressIntervalMs);
  progress.start();
  // Opened inside the try, so a connection failure also fills in summary.error.
  let opened: Session | undefined;
  let locked = false;
  try {
    const session = opened = await Session.open(config.connection, ctx.stop, ctx.stopSignal);
    await migrateSchema(session);
    // Sorts (the ready table's de-duplication) spill to disk at the default 4MB. The key-order check needs a
    // staging scan in line order: synchronized scans would start it where the last scan left off, and a parallel
    // scan interleaves blocks. No parallel workers also keeps the import to the one backend its grant pays for.
    // NOTICEs must reach us: with typed staging they are how COPY names the rows it skipped.
    await session.query("SET work_mem = '64MB'; SET synchronize_seqscans = off; SET max_parallel_workers_per_gather = 0; SET client_min_messages = notice");
    locked = await lockImport(session, names.base);
    if (!locked) throw new BulkheadError(`another run of import ${importId} is in progress on this server; wait for it or stop it`);
    await dropAbandonedStaging(session, names, log);

    const tableName = parseTableName(spec.target.table);
    const tableLabel = `${tableName.schema}.${tableName.table}`;
    const input = await openSource(ctx.source, { ...config.sourceLimits, stallSeconds: config.httpTimeoutSeconds }, ctx.stop);
    const { columns: header, firstDataLine, body } = await splitHeader(input, spec.format, file);
    const plan = planImport(spec.target, header, await readTargetTable(session.client, tableName), tableLabel, file);
    const version = await session.serverVersionNum();
    const builtinCheck = version >= BUILTIN_INPUT_CHECK_VERSION;
    if (!builtinCheck) await session.query(inputErrorFunction());
    // The one switch between the two staging paths: typed on PostgreSQL 17+ (when its NOTICEs can be read), text
    // before. Everything downstream asks the layout which columns are typed.
    const typedStaging = version >= TYPED_STAGING_VERSION && englishMessages((await session.query<{ lc: string }>(messageLocale())).rows[0]?.lc ?? '');
    const layout = stageLayout(plan, header.length, typedStaging);

    const pacer = new MergePacer(session, importId, spec.merge.pacing, spec.merge.chunkRows,
      await workersBaseline(session, importId, spec.merge.pacing, log, ctx.stop), log, ctx.stop, (status) => metrics.setPacing(status));

    progress.enter('copy');
    await session.query(clearRejects(importId));
    await session.query(recordImportProgress(importId, 'copy', 0, 0));
    const copyStart = performance.now();
    // Staging is created and filled in one transaction. PostgreSQL then skips the free-space map for the COPY, so
    // rows land in file order (otherwise short rows fill gaps left in earlier pages, and a file in key order no
    // longer reads back in key order); and a COPY that fails or is killed leaves no table behind.
    // After a COPY abandoned for too many bad rows the transaction is aborted, and the COMMIT rolls it back.
    const copied = await session.transaction(async () => {
      await session.query(createStage(STAGING_SCHEMA, names.stage, layout.types));
      return copyToStage(session, body, {
        schema: STAGING_SCHEMA, table: names.stage, columns: header, firstDataLine, format: spec.format,
        maxRejected: spec.errors.maxRejected, file, checks: recordCheckPlan(plan), skipBadRows: layout.copySkipsBadRows,
        maxRecordBytes: config.maxRecordBytes,
      }, ctx.stop, (counts) => progress.setRows(counts.rowsRead));
    });
    summary.copySeconds = seconds(performance.now() - copyStart);
    metrics.setPhaseSeconds('copy', summary.copySeconds);
    summary.rowsRead = copied.rowsRead;
    metrics.addRows('read', copied.rowsRead);

    progress.enter('check');
    if (copied.rejects.length > 0) await session.query(recordFramingRejects(importId, copied.rejects));
    if (copied.skipped.length > 0) await session.query(recordSkippedRows(importId, copied.skipped, header, layout.types));
    // Rejected lines that never reached staging: the merge need not filter them out.
    const unstaged = copied.rejects.length + copied.skipped.length;
    const overLimit = unstaged > spec.errors.maxRejected;
    const valueCheck = overLimit ? undefined : recordValueRejects(importId, STAGING_SCHEMA, names.stage, plan.columns, layout, builtinCheck);
    if (valueCheck) await session.query(valueCheck);
    const { rows: rejectRows } = await session.query<{ lines: string; sample: ImportSummary['rejects'] }>(summarizeRejects(importId, SAMPLE_REJECTS));
    summary.rowsRejected = Number(rejectRows[0]?.lines ?? 0);
    // A reason is PostgreSQL's message, which quotes the value: room for the message and a clipped value.
    summary.rejects = (rejectRows[0]?.sample ?? []).map((r) => ({ line: Number(r.line), column: clipText(r.column), reason: clipText(r.reason, REASON_BYTES) }));
    metrics.addRows('rejected', summary.rowsRejected);
    if (overLimit || summary.rowsRejected > spec.errors.maxRejected) {
      throw new InvalidInputError(rejectMessage(file, header, summary, spec.errors.maxRejected, overLimit));
    }

    progress.enter('dedupe');
    const stagedRejects = summary.rowsRejected - unstaged;
    // Each unstaged reject has a line of its own, so this cannot be negative; if it were, every count would be wrong.
    if (stagedRejects < 0) throw new Error(`${file}: ${unstaged} records were left out of staging, but only ${summary.rowsRejected} lines are recorded as rejected; refusing to merge`);
    const { source, range } = await prepareMergeSource(session, log, importId, names, plan, copied, stagedRejects);
    summary.duplicateKeys = copied.rowsStaged - stagedRejects - range.rows;

    progress.enter('merge');
    const mergeStart = performance.now();
    // The summary follows each committed chunk, so a run that fails or stops mid-merge reports what is in.
    const showMerged = (m: MergeCounts) => Object.assign(summary, { rowsInserted: m.inserted, rowsUpdated: m.updated, rowsUnchanged: m.unchanged, fastPath: m.fastPath });
    const merged = await mergeIntoTarget(session, plan, source, range, importId, {
      strategy: spec.merge.strategy, updateChangedOnly: spec.merge.updateChangedOnly, chunkRows: spec.merge.chunkRows,
      fastPathLockTimeoutMs: 5000, file,
    }, pacer, log, (done, counts) => {
      progress.setRows(done);
      showMerged(counts);
    }).finally(() => (summary.mergeSeconds = seconds(performance.now() - mergeStart)));
    metrics.setPhaseSeconds('merge', summary.mergeSeconds);
    showMerged(merged);
    metrics.addRows('inserted', merged.inserted);
    metrics.addRows('updated', merged.updated);
    metrics.addRows('unchanged', merged.unchanged);
    summary.phase = 'Succeeded';
    progress.enter('done');
  } catch (err) {
    summary.error = describeError(err);
    throw err;
  } finally {
    progress.stop();
    summary.totalSeconds = seconds(performance.now() - started);
    summary.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    try {
      // Staging is only ever touched under the import's lock: without it, the tables belong to another run.
      if (opened && locked) {
        await dropStaging(opened, names);
        await unlockImport(opened, names.base);
      }
    } catch (err) {
      log.warn({ event: 'cleanup-failed', err: describeError(err) }, 'could not drop staging; the next run will');
    }
    await opened?.close();
  }
}

/**
 * Picks the merge source. A file already in strictly increasing key order is merged straight from staging; any
 * other is first de-duplicated and sorted into the ready table (see build-ready.ts). The runner judged the order
 * while streaming when the key is a plain integer (record-checks.ts); otherwise a scan of staging does.
 */
async function prepareMergeSource(session: Session, log: Logger, importId: string, names: StagingNames, plan: ImportPlan, copied: CopyResult, stagedRejects: number): Promise<{ source: MergeSource; range: MergeRange }> {
  const anyRejects = stagedRejects > 0;
  let ordered = copied.keyOrder === 'increasing';
  if (copied.keyOrder === 'unknown') {
    const { rows } = await session.query<{ ordered: boolean }>(checkKeyOrder(importId, STAGING_SCHEMA, names.stage, plan.key, anyRejects));
    ordered = rows[0]?.ordered === true;
  }
  log.info({ event: 'merge-source', inKeyOrder: ordered, judgedBy: copied.keyOrder === 'unknown' ? 'scan' : 'runner' }, ordered ? 'the file is in key order: merging straight from staging' : 'sorting and de-duplicating into the ready table');
  if (ordered) {
    await session.query(indexOrderColumn(STAGING_SCHEMA, names.stage, '_line'));
    const stagedRows = copied.rowsStaged - stagedRejects;
    return { source: stageSource(STAGING_SCHEMA, names.stage, plan, anyRejects), range: { first: copied.firstLine, last: copied.lastLine, rows: stagedRows } };
  }
  const built = await session.query(buildReady(importId, STAGING_SCHEMA, names.stage, names.ready, plan.columns, plan.key, anyRejects));
  const readyRows = built.rowCount ?? 0;
  await session.query(indexOrderColumn(STAGING_SCHEMA, names.ready, '_seq'));
  return { source: readySource(STAGING_SCHEMA, names.ready, plan), range: { first: 1, last: readyRows, rows: readyRows } };
}

/**
 * The workers' latency before the import loads the server, which maxWorkerLatencyIncreasePercent is measured
 * against: the highest of five readings a second apart when the spec asks for that goal (the import starts 4 s
 * later), one reading otherwise (in case a live change adds the goal; without workers publishing, none at all).
 */
async function workersBaseline(session: Session, importId: string, pacing: PacingSpec | undefined, log: Logger, stop: AbortSignal): Promise<WorkerLatency> {
  const samples = pacing?.maxWorkerLatencyIncreasePercent === undefined ? 1 : 5;
  const baseline = await readBaseline(session, importId, samples, (ms) => sleepUnlessStopped(ms, stop));
  if (baseline.claimP95Ms !== undefined || pacing) log.info({ event: 'workers-baseline', ...baseline }, `workers' p95 before the import: claim ${baseline.claimP95Ms ?? '–'} ms, completion ${baseline.completionP95Ms ?? '–'} ms`);
  return baseline;
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** A message that lists the first rejects as file:line:column: reason, so the user can open the file there. */
function rejectMessage(file: string, header: string[], summary: ImportSummary, maxRejected: number, stoppedEarly: boolean): string {
  const count = stoppedEarly ? `at least ${countNoun(maxRejected + 1, 'bad row')}` : countNoun(summary.rowsRejected, 'bad row');
  const lines = summary.rejects.slice(0, 10).map((r) => {
    // The summary's rejects are already clipped (see above), names included.
    const col = header.findIndex((h) => clipText(h) === r.column);
    return `${file}:${r.line}${col >= 0 ? `:${col + 1}` : ''}${r.column ? ` (column "${r.column}")` : ''}: ${r.reason}`;
  });
  const more = summary.rowsRejected > lines.length ? `\n  … see bulkhead.import_rejects for all of them` : '';
  return `${file}: ${count}, and errors.maxRejected is ${maxRejected}; nothing was merged:\n  ${lines.join('\n  ')}${more}`;
}
