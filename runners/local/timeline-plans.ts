import { InvalidInputError } from '../shared/errors.js';
import { DEFAULT_COMPARE_PACING, type LocalConfig } from './local-command.js';
import type { ScenarioImport } from './scenario.js';
import type { MeasuredRun } from './run-local.js';
import { PACING_GOAL } from './report-pacing.js';

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

/**
 * The paced timeline's floor when comparing: unless its pacing sets minRowsPerSecond, the unpaced merge's rate
 * divided by the goal, so that the paced merge takes at most 1.5x as long whatever the signals say. It is the knob a
 * user who needs an import done by a deadline sets; without it the default floor (1,000 rows a second) lets a
 * throttled merge of 500,000 rows take minutes.
 */
export function withMergeTimeGoal(plan: TimelinePlan, unpaced: MeasuredRun): TimelinePlan {
  const s = unpaced.import?.summary;
  if (!plan.pacing || plan.pacing.minRowsPerSecond !== undefined || !s?.mergeSeconds) return plan;
  const merged = s.rowsInserted + s.rowsUpdated + s.rowsUnchanged;
  const floor = Math.floor(merged / s.mergeSeconds / PACING_GOAL.mergeRatio);
  return floor >= 1 ? { ...plan, pacing: { ...plan.pacing, minRowsPerSecond: floor } } : plan;
}
