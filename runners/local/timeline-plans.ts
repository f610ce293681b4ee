import { InvalidInputError } from '../shared/errors.js';
import { DEFAULT_COMPARE_PACING, type LocalConfig } from './local-command.js';
import type { ScenarioImport } from './scenario.js';

/** One timeline to run: what it is called in the report, and the merge pacing of its import. */
export interface TimelinePlan {
  /** 'pacing off' or 'pacing on' when comparing; undefined for the one timeline of a plain run. */
  label: string | undefined;
  /** spec.merge.pacing of this timeline's import (see withPacing), undefined when unpaced. */
  pacing: Record<string, unknown> | undefined;
}

/** The spec with spec.merge.pacing replaced (or removed, with undefined). */
export function withPacing(spec: Record<string, unknown>, pacing: Record<string, unknown> | undefined): Record<string, unknown> {
  const merge = { ...(spec.merge ?? {}) } as Record<string, unknown>;
  delete merge.pacing;
  return { ...spec, merge: pacing ? { ...merge, pacing } : merge };
}

function manifestPacing(imp: ScenarioImport): Record<string, unknown> | undefined {
  return (imp.spec.merge as { pacing?: Record<string, unknown> } | undefined)?.pacing;
}

/**
 * The timelines of a run. Plain: one, as the manifest says, or paced with --pacing. --compare-pacing: unpaced, then
 * paced with --pacing, else the manifest's pacing, else DEFAULT_COMPARE_PACING. Comparing needs a generated CSV: its
 * rows are new keys, which the second timeline deletes again to start from the same target as the first.
 */
export function timelinePlans(config: LocalConfig, imp: ScenarioImport | undefined): TimelinePlan[] {
  if (!imp) {
    if (config.comparePacing || config.pacing) throw new InvalidInputError('--compare-pacing and --pacing pace a CsvImport\'s merge: name a CsvImport manifest too');
    return [{ label: undefined, pacing: undefined }];
  }
  if (!config.comparePacing) return [{ label: undefined, pacing: config.pacing ?? manifestPacing(imp) }];
  if (imp.generate === undefined) {
    throw new InvalidInputError(`${imp.origin}: --compare-pacing needs a generated CSV (metadata.annotations[bulkhead.dev/local-generate-csv]), whose new rows it can delete before the second timeline`);
  }
  const pacing = config.pacing ?? manifestPacing(imp) ?? DEFAULT_COMPARE_PACING;
  return [
    { label: 'pacing off', pacing: undefined },
    { label: 'pacing on', pacing },
  ];
}
