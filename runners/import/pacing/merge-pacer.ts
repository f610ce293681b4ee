import type { Logger } from '../../shared/logger.js';
import type { Session } from '../../shared/session.js';
import { checkAgainstSchema } from '../../shared/spec-schema.js';
import { pacingSchema } from './pacing-schema.js';
import { sleepUnlessStopped } from '../../shared/stoppable-sleep.js';
import { countLockWaiters, readPacing, type PacingRead } from './pacing-reads.js';
import { findBreach, initialPace, nextPace, type Pace, type PacingSpec, type PacingStatus, type WorkerLatency } from './pacing-controller.js';


/** Records the pacing with the merge's progress (import_progress), where the operator reads it into status. */
export type ReportPacing = (status: PacingStatus | undefined) => Promise<unknown>;

/** Chunks of chunkRows, back to back. */
function unpaced(chunkRows: number): Pace {
  return { chunkRows, pauseMs: 0, state: 'Running', breach: undefined, backedOffAt: 0, actedOn: 0 };
}

/** How often a paused import looks at its control again. */
const PAUSED_POLL_MS = 1000;

/**
 * Paces the chunked merge. Between chunks (after a COMMIT, so no lock of the import's is held while it waits) it
 * reads its signals and its live control in one statement, and waits for the pause the controller chose, or for
 * as long as the import is paused. The control row (bulkhead.import_control, written by the operator) may pause the
 * import and may replace spec.merge.pacing; a pacing there that fails the CRD's checks is ignored with a warning.
 * Without pacing in the spec or the control, chunks are chunkRows and follow each other at once: only a pause acts.
 */
export class MergePacer {
  private spec: PacingSpec | undefined;
  private pace: Pace;
  private warnedControl = '';
  /** The pacing as last reported. */
  status: PacingStatus | undefined;

  constructor(
    private readonly session: Session,
    private readonly importId: string,
    specPacing: PacingSpec | undefined,
    private readonly maxChunkRows: number,
    private readonly baseline: WorkerLatency,
    private readonly log: Logger,
    private readonly stop: AbortSignal,
    private readonly observe: (status: PacingStatus | undefined) => void = () => undefined,
  ) {
    this.spec = specPacing;
    this.pace = specPacing ? initialPace(specPacing, maxChunkRows) : unpaced(maxChunkRows);
  }

  /** Whether pacing is on (so the merge goes in chunks even into an empty target). */
  get paced(): boolean {
    return this.spec !== undefined;
  }

  /** Rows in the next chunk. */
  get chunkRows(): number {
    return this.pace.chunkRows;
  }

  /** Before the first chunk: applies the live control (a pause, or pacing added since the run started). */
  async beforeFirstChunk(report: ReportPacing): Promise<void> {
    await this.waitWhilePaused(await this.readControl(), report);
  }

  /**
   * Runs one chunk. With maxLockWaiters, the chunk runs in a transaction that counts, just before its COMMIT, the
   * sessions its row locks block.
   */
  async runChunk<T>(chunk: () => Promise<T>): Promise<{ result: T; lockWaiters: number | undefined }> {
    if (this.spec?.maxLockWaiters === undefined) return { result: await chunk(), lockWaiters: undefined };
    return this.session.transaction(async () => {
      const result = await chunk();
      return { result, lockWaiters: await countLockWaiters(this.session) };
    });
  }

  /**
   * After a chunk committed: reads the signals, sets the next pace, reports it (undefined when unpaced), and waits
   * the pause, then for as long as the import is paused.
   */
  async afterChunk(rows: number, seconds: number, lockWaiters: number | undefined, report: ReportPacing): Promise<void> {
    const read = await this.readControl();
    if (this.spec) {
      const readings = { ...read.workers, lockWaiters };
      const breach = findBreach(this.spec, this.baseline, readings);
      const before = this.pace;
      this.pace = nextPace(this.spec, this.maxChunkRows, before, breach, readings, { rows, seconds, at: Date.now() });
      if (breach && before.state === 'Running') this.log.info({ event: 'throttled', signal: breach.signal, value: breach.value }, `throttling the merge: ${breach.signal} ${breach.value}`);
      if (!breach && before.state !== 'Running') this.log.info({ event: 'unthrottled' }, 'every pacing signal is clear: the merge speeds up again');
      this.status = this.statusOf(rows / Math.max(0.001, seconds + this.pace.pauseMs / 1000));
    } else {
      this.status = undefined;
    }
    await this.publish(report, this.status);
    if (this.pace.pauseMs > 0) await sleepUnlessStopped(this.pace.pauseMs, this.stop);
    await this.waitWhilePaused(read, report);
  }

  /** Tells the metrics, then the progress row, what the pacing is now. */
  private async publish(report: ReportPacing, status: PacingStatus | undefined): Promise<void> {
    this.observe(status);
    await report(status);
  }

  private statusOf(rowsPerSecond: number): PacingStatus {
    const { state, breach, chunkRows, pauseMs } = this.pace;
    return { state, ...(breach ? { signal: breach.signal, value: breach.value } : {}), rowsPerSecond: Math.round(rowsPerSecond), chunkRows, pauseMilliseconds: pauseMs };
  }

  private async waitWhilePaused(first: PacingRead, report: ReportPacing): Promise<void> {
    let read = first;
    if (!read.control?.paused) return;
    this.log.info({ event: 'paused' }, 'paused by bulkhead.dev/paused: the merge waits between chunks, holding no lock');
    await this.publish(report, { state: 'Paused', rowsPerSecond: 0, chunkRows: this.pace.chunkRows, pauseMilliseconds: 0 });
    while (read.control?.paused && !this.stop.aborted) {
      await sleepUnlessStopped(PAUSED_POLL_MS, this.stop);
      read = await this.readControl();
    }
    this.log.info({ event: 'resumed' }, 'resumed');
    this.status = this.spec ? this.statusOf(0) : undefined;
    await this.publish(report, this.status);
  }

  /**
   * Reads signals and control. A control row, when there is one, says what the pacing is now (NULL: none, as the
   * CR's spec.merge.pacing when the operator wrote it); without one (a run from the command line), the spec's holds.
   */
  private async readControl(): Promise<PacingRead> {
    const read = await readPacing(this.session, this.importId, this.spec?.maxReplicationLagSeconds !== undefined);
    if (read.control === undefined) return read;
    const wanted = read.control.pacing;
    if (wanted === null || wanted === undefined) this.adopt(undefined);
    else {
      const { value, problems } = checkAgainstSchema<PacingSpec>(pacingSchema(), wanted, 'pacing');
      if (problems.length === 0) this.adopt(value);
      else if (this.warnedControl !== JSON.stringify(problems)) {
        this.warnedControl = JSON.stringify(problems);
        this.log.warn({ event: 'control-ignored', problems }, 'the live pacing in bulkhead.import_control is invalid; keeping the current pacing');
      }
    }
    return read;
  }

  private adopt(spec: PacingSpec | undefined): void {
    if (JSON.stringify(spec) === JSON.stringify(this.spec)) return;
    const before = this.spec;
    this.spec = spec;
    if (!spec) this.pace = unpaced(this.maxChunkRows);
    else if (!before) this.pace = initialPace(spec, this.maxChunkRows);
    this.log.info({ event: 'pacing-changed', pacing: spec ?? null }, spec ? 'the merge pacing changed; it applies from the next chunk' : 'merge pacing is off from the next chunk');
  }
}
