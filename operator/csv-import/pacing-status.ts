import type { CsvImportStatus } from '../../runners/shared/generated/csvimport.js';
import { clipText } from '../../runners/shared/source-text.js';
import { PACING_SIGNALS, PACING_STATES } from '../../runners/import/pacing/pacing-controller.js';
import { PAUSED_ANNOTATION } from './import-run.js';

/** status.pacing: the runner's pacing state, as it last reported it between two chunks. */
export type ImportPacing = NonNullable<CsvImportStatus['pacing']>;

const STATES: ReadonlySet<string> = new Set(PACING_STATES);
const SIGNALS: ReadonlySet<string> = new Set(PACING_SIGNALS);
/** The states in which a signal holds the merge back; entering one of them from another state is one Throttled Event. */
const HELD_BACK: ReadonlySet<string> = new Set(['Throttled', 'AtFloor']);

/** A whole number the status schema accepts, or nothing. */
function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
}

/**
 * status.pacing from the JSON the runner wrote to bulkhead.import_progress.pacing, keeping only the fields the status
 * schema has and values it accepts: the row is another program's writing, and one value the API server refuses would
 * lose the whole status update. undefined when it holds no known state.
 */
export function pacingFromRow(json: unknown): ImportPacing | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const row = json as Record<string, unknown>;
  if (typeof row.state !== 'string' || !STATES.has(row.state)) return undefined;
  const pacing: ImportPacing = { state: row.state as ImportPacing['state'] };
  if (typeof row.signal === 'string' && SIGNALS.has(row.signal)) pacing.signal = row.signal as ImportPacing['signal'];
  if (typeof row.value === 'string' || typeof row.value === 'number') pacing.value = clipText(String(row.value), 200);
  for (const field of ['rowsPerSecond', 'chunkRows', 'pauseMilliseconds'] as const) {
    const n = integer(row[field]);
    if (n !== undefined) pacing[field] = n;
  }
  return pacing;
}

/** An Event about the pacing (reason, message). */
export interface PacingEvent {
  type: 'Normal';
  reason: 'Paused' | 'Resumed' | 'Throttled';
  message: string;
}

/**
 * The Events for a change of pacing state between two reports: Paused and Resumed around a pause by annotation,
 * and Throttled when a signal starts holding the merge back (not on each report while it still does, so a long
 * throttle is one Event, not one per reconcile). A run whose report goes away (it ended) says nothing here.
 */
export function pacingEvents(before: ImportPacing | undefined, after: ImportPacing | undefined): PacingEvent[] {
  if (!after || before?.state === after.state) return [];
  const events: PacingEvent[] = [];
  if (after.state === 'Paused') {
    events.push({ type: 'Normal', reason: 'Paused', message: `the merge is paused between two chunks by the annotation ${PAUSED_ANNOTATION}: "true"` });
  } else if (before?.state === 'Paused') {
    events.push({ type: 'Normal', reason: 'Resumed', message: `the merge goes on: the annotation ${PAUSED_ANNOTATION} is no longer "true"` });
  }
  if (after.state && HELD_BACK.has(after.state) && !(before?.state && HELD_BACK.has(before.state))) {
    events.push({ type: 'Normal', reason: 'Throttled', message: describeThrottle(after) });
  }
  return events;
}

/** "lockWaiters read 7 > 2: next chunk 2500 rows after a 400 ms pause", for the Throttled Event. */
function describeThrottle(p: ImportPacing): string {
  const why = `${p.signal ?? 'a signal'}${p.value === undefined ? '' : ` read ${p.value}`}`;
  const floor = p.state === 'AtFloor' ? ', held at minRowsPerSecond' : '';
  return `${why}${floor}: next chunk ${p.chunkRows ?? '?'} rows after a ${p.pauseMilliseconds ?? '?'} ms pause`;
}
