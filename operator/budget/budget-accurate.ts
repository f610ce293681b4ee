import { ident } from '../../runners/shared/ident.js';
import { findCondition, setCondition, type Condition } from '../conditions.js';

/** What the budget's database role can see of other roles' sessions in pg_stat_activity. */
export interface StatsVisibility {
  /** The role the snapshot was read as (current_user). */
  role: string;
  /** Whether the role has pg_read_all_stats (pg_monitor grants it; superusers have it). */
  statsVisible: boolean;
  /** Other roles' sessions counted as client backends without seeing their backend_type (0 when statsVisible). */
  hiddenSessions: number;
}

/** The condition, on every CsvImport and StressRun of a server, that says whether its budget sees every session. */
export const BUDGET_ACCURATE = 'BudgetAccurate';

/** The verdict the condition, the Event, the metric and `bulkhead budget` share. */
export interface BudgetAccuracy {
  accurate: boolean;
  reason: 'StatsVisible' | 'StatsHidden';
  message: string;
}

/** What to run so that a role sees every session: pg_monitor includes pg_read_all_stats. */
export function grantToSeeStats(role: string): string {
  return `GRANT pg_monitor TO ${ident(role)};`;
}

/**
 * Accurate when the role sees every session. Otherwise the budget still never over-grants (hidden rows count as
 * client backends), but it may grant fewer connections than are free, and says what to grant. The message
 * leaves out the number of hidden sessions, which moves all the time, so that the condition does not churn.
 */
export function budgetAccuracy(v: StatsVisibility): BudgetAccuracy {
  if (v.statsVisible) return { accurate: true, reason: 'StatsVisible', message: `role ${ident(v.role)} sees every session in pg_stat_activity` };
  return {
    accurate: false,
    reason: 'StatsHidden',
    message: `role ${ident(v.role)} lacks pg_read_all_stats, so it cannot tell other roles' client sessions from their background workers ` +
      `in pg_stat_activity: it counts them all as client backends, and the budget may grant fewer connections than are free; ` +
      `run ${grantToSeeStats(v.role)}`,
  };
}

/**
 * Sets BudgetAccurate from the budget's verdict (left as it is when no budget was read), and a Warning Event
 * when it turns False: once per CR, not on every reconcile that sees it again.
 */
export function applyBudgetAccuracy(
  conditions: readonly Condition[], accuracy: BudgetAccuracy | undefined, generation: number, now: string,
): { conditions: Condition[]; event: { type: 'Warning'; reason: string; message: string } | undefined } {
  if (!accuracy) return { conditions: [...conditions], event: undefined };
  const before = findCondition(conditions, BUDGET_ACCURATE);
  const status = accuracy.accurate ? 'True' : 'False';
  const next = setCondition(conditions, { type: BUDGET_ACCURATE, status, reason: accuracy.reason, message: accuracy.message, observedGeneration: generation }, now);
  const turnedFalse = !accuracy.accurate && before?.status !== 'False';
  return { conditions: next, event: turnedFalse ? { type: 'Warning', reason: accuracy.reason, message: accuracy.message } : undefined };
}
