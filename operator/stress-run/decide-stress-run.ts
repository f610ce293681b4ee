import type { V1Deployment } from '@kubernetes/client-node';
import type { StressRunStatus } from '../../runners/shared/generated/stressrun.js';
import { applyBudgetAccuracy, type BudgetAccuracy } from '../budget/budget-accurate.js';
import { setCondition, setReadiness, type Condition, type Readiness } from '../conditions.js';
import { SECRET_NOT_LABELLED } from '../database/database-secret.js';
import { applyPodTrouble } from '../pods/pod-blocked.js';
import type { PodTrouble } from '../pods/pod-trouble.js';
import { workerSelector, type StressRun } from './worker-deployment.js';

/** What the controller saw for one StressRun. */
export interface StressRunObservation {
  cr: StressRun;
  deployment: V1Deployment | undefined;
  /** Workers the budget grants, with its message when that is fewer than spec.workers. */
  grant: { workers: number; message: string | undefined };
  /** Whether the budget of the CR's server sees every session, when one was read. */
  budgetAccuracy?: BudgetAccuracy;
  /** A problem with the spec or its Secret, naming the field. */
  specError: string | undefined;
  /** The database Secret lacks the opt-in label (the message names it); labelling it lifts this. */
  secretRefused?: string;
  /** Why a worker pod cannot start, read while fewer workers are ready than the Deployment wants. */
  podTrouble: PodTrouble | undefined;
  /** Queue counts and throughput, when sampled. */
  queue: Pick<StressRunStatus, 'queue' | 'itemsPerSecond'> | undefined;
  now: string;
}

/** The status to write, the replicas to apply (undefined: leave the Deployment alone), Events, and when to look again. */
export interface StressRunDecision {
  status: StressRunStatus;
  replicas: number | undefined;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  /** Workers still claimed from the budget (0 once the run ended). */
  claimWorkers: number;
  /** Milliseconds until durationSeconds runs out, to requeue then. */
  endsInMs: number | undefined;
}

/** Whether the run has ended (durationSeconds passed): its condition Succeeded is True. */
export function stressRunEnded(cr: StressRun): boolean {
  return (cr.status?.conditions)?.some((c) => c.type === 'Succeeded' && c.status === 'True') ?? false;
}

/** Given a StressRun and what exists, what should exist. Pure. */
export function decideStressRun(o: StressRunObservation): StressRunDecision {
  const { cr, now } = o;
  const generation = cr.metadata.generation ?? 1;
  const previous = cr.status ?? {};
  let conditions = (previous.conditions ?? []) as Condition[];
  const events: StressRunDecision['events'] = [];
  const cond = (type: string, status: Condition['status'], reason: string, message: string) => {
    const before = conditions.find((c) => c.type === type);
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
    return before?.status !== status;
  };
  const readiness = (state: Readiness) => {
    const before = conditions.find((c) => c.type === 'Ready');
    conditions = setReadiness(conditions, state, generation, now);
    return before?.status !== (state.ready ? 'True' : 'False');
  };
  const podBlocked = (trouble: PodTrouble | undefined, clear: { reason: string; message: string }) => {
    const update = applyPodTrouble(conditions, trouble, clear, generation, now);
    conditions = update.conditions;
    if (update.event) events.push(update.event);
  };
  const ready = o.deployment?.status?.readyReplicas ?? 0;
  const startTime = previous.startTime ?? now;
  const status = (granted: number, extra: Partial<StressRunStatus> = {}): StressRunStatus => ({
    ...previous,
    ...o.queue,
    startTime,
    workers: ready,
    grantedWorkers: granted,
    selector: workerSelector(cr),
    observedGeneration: generation,
    ...extra,
    conditions,
  });

  const refusal = o.specError ? { reason: 'InvalidSpec', message: o.specError } : o.secretRefused ? { reason: SECRET_NOT_LABELLED, message: o.secretRefused } : undefined;
  if (refusal) {
    const before = conditions.find((c) => c.type === 'Ready');
    // A spec the operator cannot run fails for good; a Secret without the label waits for its owners to add it.
    readiness({ ready: false, stalled: refusal.reason === 'InvalidSpec', ...refusal });
    if (before?.reason !== refusal.reason) events.push({ type: 'Warning', reason: refusal.reason, message: refusal.message });
    return { status: status(0), replicas: o.deployment ? 0 : undefined, events, claimWorkers: 0, endsInMs: undefined };
  }

  const duration = cr.spec.durationSeconds;
  const endsAt = duration > 0 ? Date.parse(startTime) + duration * 1000 : undefined;
  if (stressRunEnded(cr) || (endsAt !== undefined && Date.parse(now) >= endsAt)) {
    const message = `ran for ${duration}s (spec.durationSeconds); workers scaled to 0`;
    if (cond('Succeeded', 'True', 'DurationReached', message)) events.push({ type: 'Normal', reason: 'Succeeded', message });
    readiness({ ready: true, stalled: false, reason: 'Finished', message });
    cond('BudgetLimited', 'False', 'Finished', 'the run has ended');
    podBlocked(undefined, { reason: 'Finished', message: 'the run has ended' });
    return { status: status(0, { completionTime: previous.completionTime ?? now }), replicas: 0, events, claimWorkers: 0, endsInMs: undefined };
  }

  const accuracy = applyBudgetAccuracy(conditions, o.budgetAccuracy, generation, now);
  conditions = accuracy.conditions;
  if (accuracy.event) events.push(accuracy.event);
  const granted = Math.min(o.grant.workers, cr.spec.workers);
  if (granted < cr.spec.workers) {
    const message = `${granted} of ${cr.spec.workers} workers fit the connection budget: ${o.grant.message ?? 'no room'}`;
    if (cond('BudgetLimited', 'True', 'InsufficientConnections', message)) events.push({ type: 'Warning', reason: 'BudgetLimited', message });
  } else if (cond('BudgetLimited', 'False', 'Granted', `all ${cr.spec.workers} workers granted`)) {
    events.push({ type: 'Normal', reason: 'Admitted', message: `all ${cr.spec.workers} workers granted` });
  }
  podBlocked(o.podTrouble, ready >= granted
    ? { reason: 'WorkersRunning', message: `${ready} of ${granted} granted workers ready` }
    : { reason: 'PodStarting', message: 'no worker pod is blocked' });
  // Ready: every worker the spec asks for is granted and ready. Fewer for want of connections is not Ready (GitOps
  // tools then show it progressing, with the budget's reason), nor are workers still starting or blocked.
  const workers = `${ready} of ${granted} granted workers ready`;
  const state: Readiness = granted < cr.spec.workers
    ? { ready: false, stalled: false, reason: 'InsufficientConnections', message: `${workers}; ${granted} of ${cr.spec.workers} workers fit the connection budget` }
    : ready < granted && o.podTrouble
      ? { ready: false, stalled: false, reason: o.podTrouble.reason, message: `${workers}; pod ${o.podTrouble.pod}: ${o.podTrouble.message}` }
      : { ready: ready >= granted, stalled: false, reason: ready >= granted ? 'WorkersReady' : 'WorkersStarting', message: workers };
  if (readiness(state) && state.ready) events.push({ type: 'Normal', reason: 'Started', message: `${ready} workers ready` });
  return { status: status(granted), replicas: granted, events, claimWorkers: cr.spec.workers, endsInMs: endsAt === undefined ? undefined : endsAt - Date.parse(now) };
}
