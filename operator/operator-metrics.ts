import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ServerBudget } from './budget/server-budget.js';
import type { KindName } from './kube/custom-resource.js';
import { foldApplications } from './observer/application-label.js';

/** The operator's metrics (docs/reference/metrics.md is generated from it), in a private registry served on /metrics. */
export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({ name: 'bulkhead_reconcile_total', help: 'Reconciles by kind and result (ok or error).', labelNames: ['kind', 'result'], registers: [this.registry] });
  private readonly reconcileSeconds = new Histogram({
    name: 'bulkhead_reconcile_duration_seconds',
    help: 'Time one reconcile took, by kind.',
    labelNames: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly budget = new Gauge({ name: 'bulkhead_budget_connections', help: 'Connection budget per server: capacity, external, granted and free.', labelNames: ['server', 'state'], registers: [this.registry] });
  private readonly budgetAccurate = new Gauge({
    name: 'bulkhead_budget_accurate',
    help: "1 when the budget's database role sees every session in pg_stat_activity; 0 when it lacks pg_read_all_stats (GRANT pg_monitor TO it) and counts other roles' sessions conservatively.",
    labelNames: ['server'],
    registers: [this.registry],
  });
  private readonly connections = new Gauge({ name: 'bulkhead_pg_connections', help: 'Client backends per server by pg_stat_activity state.', labelNames: ['server', 'state'], registers: [this.registry] });
  private readonly lockWaiting = new Gauge({ name: 'bulkhead_pg_lock_waiting_backends', help: "Backends waiting on a heavyweight lock, per server and application: bulkhead's own application_name, or other.", labelNames: ['server', 'application'], registers: [this.registry] });
  private readonly lockWaitMax = new Gauge({ name: 'bulkhead_pg_lock_wait_seconds_max', help: 'The longest current lock wait per server.', labelNames: ['server'], registers: [this.registry] });
  private readonly seenStates = new Map<string, string[]>();
  private readonly seenWaiters = new Map<string, string[]>();
  private readonly queueRows = new Gauge({ name: 'bulkhead_queue_rows', help: "Rows of a StressRun's queue table by status, sampled.", labelNames: ['stressrun', 'status'], registers: [this.registry] });
  private readonly importPhase = new Gauge({
    name: 'bulkhead_csvimport_phase',
    help: "1 for each CsvImport's status.phase (Pending, Admitted, Running, Succeeded, Failed): one series per CsvImport, gone when it is deleted.",
    labelNames: ['namespace', 'csvimport', 'phase'],
    registers: [this.registry],
  });
  /** The phase each CsvImport's series carries now, by "namespace/name", so a change of phase replaces it. */
  private readonly importPhases = new Map<string, { namespace: string; csvimport: string; phase: string }>();
  private readonly mergeRate = new Gauge({
    name: 'bulkhead_csvimport_merge_rows_per_second',
    help: "A running CsvImport's merge rate as its runner last reported it between two chunks (status.pacing.rowsPerSecond), over the last chunk and the pause after it: one series per CsvImport whose merge reports pacing, gone when the run ends.",
    labelNames: ['namespace', 'csvimport'],
    registers: [this.registry],
  });
  private readonly pacingState = new Gauge({
    name: 'bulkhead_csvimport_pacing_state',
    help: "1 for a running CsvImport's merge pacing state (status.pacing.state: Running, Throttled, AtFloor, Paused): one series per CsvImport whose merge reports pacing, gone when the run ends.",
    labelNames: ['namespace', 'csvimport', 'state'],
    registers: [this.registry],
  });
  /** The pacing state each CsvImport's series carries now, by "namespace/name". */
  private readonly pacingStates = new Map<string, { namespace: string; csvimport: string; state: string }>();

  constructor() {
    // process_resident_memory_bytes, process_cpu_seconds_total, nodejs_heap_* …: the operator's own footprint.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Times one reconcile and counts its result. */
  async timeReconcile(kind: KindName, work: () => Promise<void>): Promise<void> {
    const end = this.reconcileSeconds.startTimer({ kind });
    try {
      await work();
      this.reconciles.inc({ kind, result: 'ok' });
    } catch (err) {
      this.reconciles.inc({ kind, result: 'error' });
      throw err;
    } finally {
      end();
    }
  }

  setBudget(server: string, budget: ServerBudget): void {
    this.budget.set({ server, state: 'capacity' }, budget.capacity.capacity);
    this.budget.set({ server, state: 'external' }, budget.capacity.external);
    this.budget.set({ server, state: 'granted' }, budget.ledger.granted);
    this.budget.set({ server, state: 'free' }, budget.ledger.free);
    this.budgetAccurate.set({ server }, budget.visibility.statsVisible ? 1 : 0);
  }

  /**
   * Replaces one server's activity series, so an application that stopped waiting drops out. Lock waiters are
   * counted per application_name; any that is not bulkhead's own (and, given `known`, one of the names it holds)
   * goes under `other`, so that no client can grow the label set.
   */
  setActivity(server: string, byState: Record<string, number>, waitingByApplication: Record<string, number>, lockWaitMaxSeconds: number, known?: (application: string) => boolean): void {
    const lockWaiting = foldApplications(waitingByApplication, known);
    for (const state of this.seenStates.get(server) ?? []) if (!(state in byState)) this.connections.remove({ server, state });
    for (const application of this.seenWaiters.get(server) ?? []) if (!(application in lockWaiting)) this.lockWaiting.remove({ server, application });
    this.seenStates.set(server, Object.keys(byState));
    this.seenWaiters.set(server, Object.keys(lockWaiting));
    for (const [state, n] of Object.entries(byState)) this.connections.set({ server, state }, n);
    for (const [application, n] of Object.entries(lockWaiting)) this.lockWaiting.set({ server, application }, n);
    this.lockWaitMax.set({ server }, lockWaitMaxSeconds);
  }

  /** Drops every series of a server no CR names any more. */
  forgetServer(server: string): void {
    for (const state of ['capacity', 'external', 'granted', 'free']) this.budget.remove({ server, state });
    this.setActivity(server, {}, {}, 0);
    this.lockWaitMax.remove({ server });
    this.budgetAccurate.remove({ server });
    this.seenStates.delete(server);
    this.seenWaiters.delete(server);
  }

  setQueueRows(stressrun: string, counts: Record<string, number>): void {
    for (const [status, n] of Object.entries(counts)) this.queueRows.set({ stressrun, status }, n);
  }

  removeQueueRows(stressrun: string): void {
    for (const status of ['pending', 'processing', 'completed', 'failed']) this.queueRows.remove({ stressrun, status });
  }

  /** Moves a CsvImport's one series to the phase its status now has. */
  setImportPhase(namespace: string, csvimport: string, phase: string): void {
    const key = `${namespace}/${csvimport}`;
    const before = this.importPhases.get(key);
    if (before && before.phase !== phase) this.importPhase.remove(before);
    this.importPhases.set(key, { namespace, csvimport, phase });
    this.importPhase.set({ namespace, csvimport, phase }, 1);
  }

  /** Sets a CsvImport's pacing series from its status.pacing, or drops them when it has none (not running, or no report). */
  setImportPacing(namespace: string, csvimport: string, pacing: { state?: string; rowsPerSecond?: number } | undefined): void {
    const key = `${namespace}/${csvimport}`;
    const before = this.pacingStates.get(key);
    if (before && before.state !== pacing?.state) this.pacingState.remove(before);
    if (pacing?.rowsPerSecond === undefined) this.mergeRate.remove({ namespace, csvimport });
    else this.mergeRate.set({ namespace, csvimport }, pacing.rowsPerSecond);
    if (pacing?.state === undefined) {
      this.pacingStates.delete(key);
      return;
    }
    this.pacingStates.set(key, { namespace, csvimport, state: pacing.state });
    this.pacingState.set({ namespace, csvimport, state: pacing.state }, 1);
  }

  /** Drops the series of a CsvImport that is gone. */
  forgetImport(namespace: string, csvimport: string): void {
    const key = `${namespace}/${csvimport}`;
    const before = this.importPhases.get(key);
    if (before) this.importPhase.remove(before);
    this.importPhases.delete(key);
    this.setImportPacing(namespace, csvimport, undefined);
  }
}
