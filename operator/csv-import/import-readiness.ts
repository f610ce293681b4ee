import type { CsvImportStatus } from '../../runners/shared/generated/csvimport.js';
import { findCondition, setReadiness, type Condition, type Readiness } from '../conditions.js';
import { POD_BLOCKED } from '../pods/pod-blocked.js';

type Phase = NonNullable<CsvImportStatus['phase']>;

/**
 * Ready and Stalled of a CsvImport, from its phase and the condition that explains it: Ready=True once the run
 * succeeded; Stalled=True once it failed (only a new generation or a rerun moves it on); otherwise both False, with
 * the reason it is not done yet: waiting for the budget (BudgetAdmitted's reason), a pod that cannot start
 * (PodBlocked's), or a Job that is starting or running.
 */
export function importReadiness(phase: Phase, conditions: readonly Condition[], jobName: string): Readiness {
  const succeeded = findCondition(conditions, 'Succeeded');
  const admitted = findCondition(conditions, 'BudgetAdmitted');
  const blocked = findCondition(conditions, POD_BLOCKED);
  switch (phase) {
    case 'Succeeded':
      return { ready: true, stalled: false, reason: 'Succeeded', message: succeeded?.message ?? 'the import succeeded' };
    case 'Failed':
      return { ready: false, stalled: true, reason: succeeded?.reason ?? 'Failed', message: succeeded?.message ?? 'the import failed' };
    case 'Pending':
      return { ready: false, stalled: false, reason: admitted?.reason ?? 'Pending', message: admitted?.message ?? 'waiting for the connection budget' };
    case 'Running':
      return { ready: false, stalled: false, reason: 'Running', message: `Job ${jobName} is running` };
    case 'Admitted':
      return blocked?.status === 'True'
        ? { ready: false, stalled: false, reason: blocked.reason, message: blocked.message }
        : { ready: false, stalled: false, reason: 'Admitted', message: `Job ${jobName} is starting` };
  }
}

/** Sets Ready and Stalled for the phase (see importReadiness). */
export function setImportReadiness(conditions: readonly Condition[], phase: Phase, jobName: string, generation: number, now: string): Condition[] {
  return setReadiness(conditions, importReadiness(phase, conditions, jobName), generation, now);
}
