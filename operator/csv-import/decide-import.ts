import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { CsvImportStatus } from '../../runners/shared/generated/csvimport.js';
import { clipText } from '../../runners/shared/source-text.js';
import { applyBudgetAccuracy, type BudgetAccuracy } from '../budget/budget-accurate.js';
import { findCondition, setCondition, type Condition } from '../conditions.js';
import { SECRET_NOT_LABELLED } from '../database/database-secret.js';
import { applyPodTrouble, POD_BLOCKED } from '../pods/pod-blocked.js';
import { podsTrouble } from '../pods/pod-trouble.js';
import { FINAL_EXIT_REASONS, type CsvImport } from './import-job.js';
import { importJobName, importRun } from './import-run.js';
import { setImportReadiness } from './import-readiness.js';
import { latestPodOutcome } from './termination-summary.js';

/** What the controller saw for one CsvImport. */
export interface ImportObservation {
  cr: CsvImport;
  /** Every Job labelled for this CR, any generation. */
  jobs: readonly V1Job[];
  /**
   * Pods of the current generation's Job, read once it has finished (for the termination message) and while it has
   * no ready pod (to see why none starts); empty otherwise.
   */
  pods: readonly V1Pod[];
  /** The budget's answer, when the CR is waiting for or holds a grant. */
  admission: { admitted: boolean; message: string } | undefined;
  /** Whether the budget of the CR's server sees every session, when one was read. */
  budgetAccuracy?: BudgetAccuracy;
  /** A problem with the spec or its Secret that the schema cannot catch, with the field it concerns. */
  specError: string | undefined;
  /** The database Secret lacks the opt-in label (the message names it): the run waits, it does not fail. */
  secretRefused?: string;
  now: string;
}

/** An Event to record. */
export interface ImportEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What should happen: the status to write, a Job to create, old Jobs to delete, Events to record. */
export interface ImportDecision {
  status: CsvImportStatus;
  createJob: boolean;
  deleteJobs: string[];
  events: ImportEvent[];
  /** Whether the run holds connections after this decision (false releases the grant). */
  holdsGrant: boolean;
  /** Whether the budget should be asked (the CR wants a grant it does not have yet). */
  wantsAdmission: boolean;
}

type Phase = NonNullable<CsvImportStatus['phase']>;

function jobFinished(job: V1Job, type: 'Complete' | 'Failed'): boolean {
  return job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

/** Whether a Job has ended, so its pods' termination messages are worth reading. */
export function importJobEnded(job: V1Job): boolean {
  return jobFinished(job, 'Complete') || jobFinished(job, 'Failed');
}

/** Whether a Job's pod is ready (status.ready; clusters before Kubernetes 1.24 lack it, and count as not). */
export function jobHasReadyPod(job: V1Job): boolean {
  return (job.status?.ready ?? 0) > 0;
}

/** Whether the run the CR asks for already ended; it starts again only on a spec change beyond spec.merge.pacing, or a rerun. */
export function importFinished(cr: CsvImport): boolean {
  return !importRun(cr).isNew && (cr.status?.phase === 'Succeeded' || cr.status?.phase === 'Failed');
}

/** Conditions that describe one run; a new run starts without them. */
const RUN_CONDITIONS = new Set(['Succeeded']);

/** Given a CsvImport and what exists, what should exist. Pure. */
export function decideImport(o: ImportObservation): ImportDecision {
  const { cr, now } = o;
  const generation = cr.metadata.generation ?? 1;
  const jobName = importJobName(cr);
  const previous = cr.status ?? {};
  const current = o.jobs.find((j) => j.metadata?.name === jobName);
  const stale = o.jobs.filter((j) => j.metadata?.name !== jobName);
  const deleteJobs = stale.filter((j) => !j.metadata?.deletionTimestamp).map((j) => j.metadata?.name ?? '').filter(Boolean);
  const staleActive = stale.some((j) => (j.status?.active ?? 0) > 0 || !importJobEnded(j));
  const events: ImportEvent[] = [];
  // A new run (a spec changed beyond spec.merge.pacing, or a rerun of a finished one) starts from an empty status
  // (bar the conditions that are not about the run, such as BudgetAccurate). The same run records the hash of the
  // spec as it reads now: a generation that changed only the pacing, or defaults the API server added, stay its own.
  const { isNew: newRun, rerun, specHash } = importRun(cr);
  let conditions: Condition[] = (previous.conditions ?? []).filter((c) => !newRun || !RUN_CONDITIONS.has(c.type));
  const base: CsvImportStatus = newRun
    ? { observedGeneration: generation, jobName, runSpecHash: specHash, ...(rerun === undefined ? {} : { rerun }), grantedConnections: 0, rows: {}, progress: {} }
    : { ...previous, observedGeneration: generation, jobName, runSpecHash: specHash };
  const cond = (type: string, status: Condition['status'], reason: string, message: string) =>
    (conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now));
  const podBlocked = (clear: { reason: string; message: string }) => {
    const update = applyPodTrouble(conditions, podsTrouble(o.pods), clear, generation, now);
    conditions = update.conditions;
    if (update.event) events.push(update.event);
  };
  const result = (phase: Phase, extra: Partial<ImportDecision> & { status?: Partial<CsvImportStatus> } = {}): ImportDecision => {
    const admittedReason = findCondition(conditions, 'BudgetAdmitted')?.reason;
    if (phase === 'Pending' && admittedReason !== SECRET_NOT_LABELLED && (phase !== previous.phase || newRun)) {
      events.push({ type: 'Normal', reason: 'WaitingForBudget', message: conditions.find((c) => c.type === 'BudgetAdmitted')?.message ?? '' });
    }
    conditions = setImportReadiness(conditions, phase, jobName, generation, now);
    // The runner's pacing state is live: the controller reads it while the Job's pod runs, and it goes with the run.
    const { pacing, ...status } = { ...base, ...extra.status, phase, conditions };
    return {
      status: phase === 'Running' && pacing ? { ...status, pacing } : status,
      createJob: extra.createJob ?? false,
      deleteJobs,
      events,
      holdsGrant: extra.holdsGrant ?? false,
      wantsAdmission: extra.wantsAdmission ?? false,
    };
  };

  if (importFinished(cr)) return { ...result(previous.phase as Phase), events: [] };

  if (o.specError) {
    cond('Succeeded', 'False', 'InvalidSpec', o.specError);
    events.push({ type: 'Warning', reason: 'InvalidSpec', message: o.specError });
    return result('Failed', { status: { grantedConnections: 0, completionTime: now } });
  }

  const accuracy = applyBudgetAccuracy(conditions, o.budgetAccuracy, generation, now);
  conditions = accuracy.conditions;
  if (accuracy.event) events.push(accuracy.event);

  if (!current) {
    if (o.secretRefused) {
      // Not a failure: the owners of the Secret may label it, and the next reconcile goes on (a run already started
      // is left to finish, since its Job reads the Secret itself).
      const before = findCondition(conditions, 'BudgetAdmitted');
      cond('BudgetAdmitted', 'False', SECRET_NOT_LABELLED, o.secretRefused);
      if (before?.reason !== SECRET_NOT_LABELLED || newRun) events.push({ type: 'Warning', reason: SECRET_NOT_LABELLED, message: o.secretRefused });
      return result('Pending', { status: { grantedConnections: 0 } });
    }
    if (staleActive) {
      cond('BudgetAdmitted', 'False', 'PreviousRunStopping', 'waiting for the previous generation\'s Job to stop');
      return result('Pending', { holdsGrant: (previous.grantedConnections ?? 0) > 0, status: { grantedConnections: previous.grantedConnections ?? 0 } });
    }
    if (!o.admission?.admitted) {
      cond('BudgetAdmitted', 'False', 'InsufficientConnections', o.admission?.message ?? 'waiting for the connection budget');
      return result('Pending', { wantsAdmission: true, status: { grantedConnections: 0 } });
    }
    cond('BudgetAdmitted', 'True', 'Admitted', `granted ${cr.spec.connections} connection(s)`);
    events.push({ type: 'Normal', reason: 'Admitted', message: `granted ${cr.spec.connections} connection(s); creating Job ${jobName}` });
    return result('Admitted', { createJob: true, holdsGrant: true, wantsAdmission: true, status: { grantedConnections: cr.spec.connections } });
  }

  const startTime = previous.startTime && !newRun ? previous.startTime : (current.status?.startTime as unknown as string | undefined) ?? now;
  const started = { startTime: typeof startTime === 'string' ? startTime : new Date(startTime).toISOString() };
  const complete = jobFinished(current, 'Complete');
  const failed = jobFinished(current, 'Failed');
  if (complete || failed) {
    const outcome = latestPodOutcome(o.pods);
    const s = outcome?.summary;
    const rows = s
      ? { read: s.rowsRead, rejected: s.rowsRejected, duplicateKeys: s.duplicateKeys, inserted: s.rowsInserted, updated: s.rowsUpdated, unchanged: s.rowsUnchanged }
      : previous.rows ?? {};
    const duration = Math.max(0, (Date.parse(now) - Date.parse(started.startTime)) / 1000);
    const timings = { completionTime: now, duration: formatDuration(s?.totalSeconds ?? duration), copySeconds: s?.copySeconds ?? 0, mergeSeconds: s?.mergeSeconds ?? 0 };
    if (complete) {
      podBlocked({ reason: 'JobEnded', message: `Job ${jobName} ended` });
      const message = `read ${rows.read ?? 0} rows: ${rows.inserted ?? 0} inserted, ${rows.updated ?? 0} updated, ${rows.unchanged ?? 0} unchanged, ${rows.rejected ?? 0} rejected`;
      cond('Succeeded', 'True', 'Completed', message);
      events.push({ type: 'Normal', reason: 'Succeeded', message });
      return result('Succeeded', { status: { ...started, ...timings, rows, grantedConnections: 0 } });
    }
    const blocked = findCondition(conditions, POD_BLOCKED);
    const neverStarted = blocked?.status === 'True' ? `; its pod never started (${blocked.reason}: ${blocked.message})` : '';
    const why = s?.error ?? (outcome ? `exit code ${outcome.exitCode}${outcome.message ? `: ${clipText(outcome.message.slice(-1000), 1000)}` : ''}` : `${jobFailureMessage(current)}${neverStarted}`);
    const reason = (outcome && FINAL_EXIT_REASONS.get(outcome.exitCode)) ?? 'JobFailed';
    podBlocked({ reason: 'JobEnded', message: `Job ${jobName} ended` });
    cond('Succeeded', 'False', reason, why);
    events.push({ type: 'Warning', reason, message: why });
    return result('Failed', { status: { ...started, ...timings, rows, grantedConnections: 0 } });
  }

  const running = (current.status?.ready ?? current.status?.active ?? 0) > 0;
  if (running && previous.phase !== 'Running') events.push({ type: 'Normal', reason: 'Started', message: `Job ${jobName} is running` });
  cond('BudgetAdmitted', 'True', 'Admitted', `granted ${cr.spec.connections} connection(s)`);
  podBlocked(running ? { reason: 'PodRunning', message: `Job ${jobName}'s pod is running` } : { reason: 'PodStarting', message: 'no pod of the Job is blocked' });
  return result(running ? 'Running' : 'Admitted', { holdsGrant: true, wantsAdmission: true, status: { ...started, grantedConnections: cr.spec.connections } });
}

function jobFailureMessage(job: V1Job): string {
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed');
  return failed ? `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim() : 'the Job failed';
}

/** 1h2m3s, like kubectl's durations. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s % 60}s`;
}
