import type { CsvImportSpec, CsvImportStatus } from '../../shared/generated/csvimport.js';

/** spec.merge.pacing, defaulted. */
export type PacingSpec = NonNullable<CsvImportSpec['merge']['pacing']>;
/** status.pacing as the CRD defines it; the runner reports it, the operator copies it into the status. */
type StatusPacing = NonNullable<CsvImportStatus['pacing']>;
/** What status.pacing.state says. */
export type PacingState = NonNullable<StatusPacing['state']>;
/** Which signal is over its limit. */
export type PacingSignal = NonNullable<StatusPacing['signal']>;

/** Every state and every signal (the CRD's enums), for metrics and for checking what another program wrote. */
export const PACING_STATES: readonly PacingState[] = ['Running', 'Throttled', 'AtFloor', 'Paused'];
export const PACING_SIGNALS: readonly PacingSignal[] = ['workerClaimLatency', 'workerCompletionLatency', 'lockWaiters', 'replicationLag'];

/** The pacing as the runner reports it (import_progress.pacing, then status.pacing): the CRD's fields. */
export type PacingStatus = Required<Pick<StatusPacing, 'state' | 'rowsPerSecond' | 'chunkRows' | 'pauseMilliseconds'>> & Pick<StatusPacing, 'signal' | 'value'>;

/** The workers' p95 latency, in milliseconds; undefined when no worker published one. */
export interface WorkerLatency {
  claimP95Ms: number | undefined;
  completionP95Ms: number | undefined;
}

/** What the import read after a chunk. */
export interface Readings extends WorkerLatency {
  /** When the newest worker summary was written (epoch ms), or undefined with none. */
  workersAsOf: number | undefined;
  /** Other sessions blocked by the import just before the chunk committed; undefined when not counted. */
  lockWaiters: number | undefined;
  /** The largest standby replay lag; undefined without standbys or without the right to read it. */
  replicationLagSeconds: number | undefined;
}

/** A signal over its limit. */
export interface Breach {
  signal: PacingSignal;
  /** What it read, against its limit, for status and logs. */
  value: string;
  /** The reading divided by its limit (> 1); the worst breach is the one reported. */
  severity: number;
}

/** The pace of the merge: the next chunk's size, the pause before it, and why. */
export interface Pace {
  chunkRows: number;
  pauseMs: number;
  state: PacingState;
  breach: Breach | undefined;
  /** When the chunk was last halved (epoch ms): a reading older than that still shows the load from before. */
  backedOffAt: number;
  /** The workers' reading (its workersAsOf) the last change followed: each reading moves the pace once. */
  actedOn: number;
}

/**
 * The chunk grows back by this fraction of its largest size per clear reading (additive increase). At 1/8, measured
 * with `bulkhead local --compare-pacing`, a chunk grew from 1,000 to 26,000 rows within 3 s of one clear reading and
 * the completion spikes that followed throttled it again: a sawtooth. 1/16, once per reading, climbs half as fast.
 */
const GROW_FRACTION = 1 / 16;
/** The first pause after a breach; each further breach doubles it (multiplicative decrease of the rate). */
const FIRST_PAUSE_MS = 100;
/** A pause shorter than this is not worth a timer. */
const MIN_PAUSE_MS = 10;

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** The worst signal over its limit, or undefined when every one is clear (or silent). */
export function findBreach(spec: PacingSpec, baseline: WorkerLatency, readings: Readings): Breach | undefined {
  const breaches: Breach[] = [];
  for (const [signal, now, base] of [
    ['workerClaimLatency', readings.claimP95Ms, baseline.claimP95Ms],
    ['workerCompletionLatency', readings.completionP95Ms, baseline.completionP95Ms],
  ] as const) {
    if (now === undefined) continue;
    if (spec.maxWorkerP95Ms !== undefined && now > spec.maxWorkerP95Ms) {
      breaches.push({ signal, value: `p95 ${round1(now)} ms, limit ${spec.maxWorkerP95Ms} ms`, severity: now / spec.maxWorkerP95Ms });
    }
    const pct = spec.maxWorkerLatencyIncreasePercent;
    if (pct !== undefined && base !== undefined && base > 0 && now > base * (1 + pct / 100)) {
      const increase = Math.round((now / base - 1) * 100);
      breaches.push({ signal, value: `p95 ${round1(now)} ms, +${increase}% over its ${round1(base)} ms baseline, limit +${pct}%`, severity: (now / base - 1) / (pct / 100) });
    }
  }
  if (spec.maxLockWaiters !== undefined && readings.lockWaiters !== undefined && readings.lockWaiters > spec.maxLockWaiters) {
    breaches.push({ signal: 'lockWaiters', value: `${readings.lockWaiters} sessions waiting on the import's locks, limit ${spec.maxLockWaiters}`, severity: (readings.lockWaiters + 1) / (spec.maxLockWaiters + 1) });
  }
  const lag = readings.replicationLagSeconds;
  if (spec.maxReplicationLagSeconds !== undefined && lag !== undefined && lag > spec.maxReplicationLagSeconds) {
    breaches.push({ signal: 'replicationLag', value: `standby replay lag ${round1(lag)} s, limit ${spec.maxReplicationLagSeconds} s`, severity: lag / spec.maxReplicationLagSeconds });
  }
  return breaches.sort((a, b) => b.severity - a.severity)[0];
}

/** The pace a paced merge starts at: a quarter of its largest chunk, no pause, growing while the signals are clear. */
export function initialPace(spec: PacingSpec, maxChunkRows: number): Pace {
  const chunkRows = Math.min(maxChunkRows, Math.max(spec.minChunkRows, Math.round(maxChunkRows / 4)));
  return { chunkRows, pauseMs: 0, state: 'Running', breach: undefined, backedOffAt: 0, actedOn: 0 };
}

/** How the last chunk went. */
export interface ChunkDone {
  rows: number;
  seconds: number;
  /** Epoch ms, after its commit. */
  at: number;
}

/**
 * The next pace, from the last one and what was read after a chunk: additive increase, multiplicative decrease.
 * The workers publish once a second, and a chunk may take less: the pace moves once per new worker reading, not
 * once per chunk (lock waiters and lag are read fresh with every chunk, so they move it every time). Over a limit,
 * the chunk halves (down to minChunkRows) and the pause doubles (up to maxPauseSeconds), unless the reading was
 * written before the last back-off and so still carries the load from before it. All clear, the chunk grows by a
 * sixteenth of chunkRows and the pause halves. Last, the floor: the pause is cut so that the chunk and its pause
 * still make minRowsPerSecond.
 */
export function nextPace(spec: PacingSpec, maxChunkRows: number, pace: Pace, breach: Breach | undefined, readings: Readings, done: ChunkDone): Pace {
  let { chunkRows, pauseMs, backedOffAt, actedOn } = pace;
  const asOf = readings.workersAsOf;
  const newReading = asOf === undefined || asOf > pace.actedOn;
  const fromWorkers = breach?.signal.startsWith('worker') ?? false;
  if (breach && (!fromWorkers || (newReading && (asOf ?? 0) > pace.backedOffAt))) {
    chunkRows = Math.max(spec.minChunkRows, Math.floor(chunkRows / 2));
    pauseMs = Math.min(spec.maxPauseSeconds * 1000, Math.max(FIRST_PAUSE_MS, pauseMs * 2));
    backedOffAt = done.at;
    actedOn = asOf ?? actedOn;
  } else if (!breach && newReading) {
    chunkRows = Math.min(maxChunkRows, chunkRows + Math.max(1, Math.round(maxChunkRows * GROW_FRACTION)));
    pauseMs = pauseMs / 2 < MIN_PAUSE_MS ? 0 : pauseMs / 2;
    actedOn = asOf ?? actedOn;
  }
  // The floor, with the next chunk taking as long per row as the last one did.
  const chunkSeconds = done.rows > 0 ? (done.seconds * chunkRows) / done.rows : 0;
  const floorPauseMs = Math.max(0, (chunkRows / spec.minRowsPerSecond - chunkSeconds) * 1000);
  const atFloor = breach !== undefined && pauseMs > floorPauseMs;
  if (atFloor) pauseMs = floorPauseMs < MIN_PAUSE_MS ? 0 : floorPauseMs;
  return { chunkRows, pauseMs: Math.round(pauseMs), state: breach ? (atFloor ? 'AtFloor' : 'Throttled') : 'Running', breach, backedOffAt, actedOn };
}
