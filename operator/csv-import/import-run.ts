import { createHash } from 'node:crypto';
import type { CsvImportSpec } from '../../runners/shared/generated/csvimport.js';
import type { CsvImport } from './import-job.js';

/**
 * The annotation that runs a finished import again without a change to its spec: any value other than the one the
 * last run started with (status.rerun). A change while a run is going on takes effect once it has finished.
 */
export const RERUN_ANNOTATION = 'bulkhead.dev/rerun';

/**
 * The annotation that pauses a running import's merge between two chunks while it is "true" (any other value, or
 * none, lets it go on). Live control, like spec.merge.pacing: it reaches the runner through bulkhead.import_control,
 * never through a new run.
 */
export const PAUSED_ANNOTATION = 'bulkhead.dev/paused';

/** The rerun annotation as status.rerun records it: the value itself, or a hash of one longer than 63 characters. */
function rerunToken(value: string | undefined): string | undefined {
  if (value === undefined || value.length <= 63) return value;
  return `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/** JSON with every object's keys in order, so that equal specs hash alike whatever order the API server kept. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What a run imports, as status.runSpecHash records it: a hash of the spec without spec.merge.pacing, which is live
 * control (the runner reads it from bulkhead.import_control between chunks) rather than part of what is imported.
 * 16 hex digits: it tells one CR's specs apart, it is no security boundary.
 */
export function runSpecHash(spec: CsvImportSpec): string {
  const merge: Partial<CsvImportSpec['merge']> = { ...spec.merge };
  delete merge.pacing;
  return createHash('sha256').update(canonicalJson({ ...spec, merge })).digest('hex').slice(0, 16);
}

/** The run a CsvImport asks for, and the hash of what it imports (see runSpecHash). */
export interface ImportRun {
  /** Whether it is a run the status does not describe yet, which starts from an empty status and gets a new Job. */
  isNew: boolean;
  /** The rerun token it starts (or started) with. */
  rerun: string | undefined;
  specHash: string;
}

/**
 * The run a CsvImport asks for. A new one when the spec changed beyond spec.merge.pacing: a generation the status has
 * not seen whose hash differs from status.runSpecHash (a status written before the hash existed has none, and then
 * the generation alone decides, so an operator upgrade restarts no import). The generation is checked first: the API
 * server may add a default to a stored spec without a new generation, and that is not a new run either. A finished
 * run whose rerun annotation no longer matches the one it started with is new too. Otherwise it is the run the
 * status describes.
 */
export function importRun(cr: CsvImport): ImportRun {
  const asked = rerunToken(cr.metadata.annotations?.[RERUN_ANNOTATION]);
  const specHash = runSpecHash(cr.spec);
  const status = cr.status;
  const seen = status?.observedGeneration === (cr.metadata.generation ?? 1);
  if (!seen && (status?.runSpecHash === undefined || status.runSpecHash !== specHash)) return { isNew: true, rerun: asked, specHash };
  const ended = status?.phase === 'Succeeded' || status?.phase === 'Failed';
  if (ended && asked !== undefined && asked !== status?.rerun) return { isNew: true, rerun: asked, specHash };
  return { isNew: false, rerun: status?.rerun, specHash };
}

/**
 * The Job name for one run: the name the status recorded when the run started, or for a new run the CR name plus
 * a hash of its uid, generation and rerun token, within the 63 characters a Job name (which becomes a label value)
 * may have. A new run gets a new Job, the same one never two; the generation (not the spec's hash) keeps a spec
 * edited back to an earlier one from meeting that run's Job, which may still be being deleted.
 */
export function importJobName(cr: CsvImport): string {
  const run = importRun(cr);
  if (!run.isNew && cr.status?.jobName) return cr.status.jobName;
  const id = `${cr.metadata.uid}/${cr.metadata.generation ?? 1}${run.rerun === undefined ? '' : `/${run.rerun}`}`;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 6);
  return `${cr.metadata.name.slice(0, 56).replace(/[-.]+$/, '')}-${hash}`;
}
