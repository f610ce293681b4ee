import { PatchStrategy, setHeaderOptions, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { budgetAccuracy } from '../budget/budget-accurate.js';
import { describeWait, type ServerBudget } from '../budget/server-budget.js';
import { CLEANUP_FINALIZER, type ControllerContext } from '../controller-context.js';
import { resolveDatabase, type ResolvedDatabase } from '../database/resolve-database.js';
import { describeApiError, httpStatus, unlessNotFound } from '../kube/api-errors.js';
import { GROUP, KINDS, VERSION } from '../kube/custom-resource.js';
import { controlledBy, FIELD_MANAGER } from '../kube/ownership.js';
import { writeStatus } from '../kube/status-writer.js';
import { refusedChildMessage } from '../pods/child-refused.js';
import { runnerSpecError } from '../pods/runner-pod-options.js';
import { decideServer, requeueServer } from '../server-claims.js';
import { decideImport, importFinished, importJobEnded, jobHasReadyPod } from './decide-import.js';
import { dropImportStaging } from './finalize-import.js';
import { readImportProgress } from './import-progress.js';
import { buildImportJob, type CsvImport } from './import-job.js';
import { importJobName } from './import-run.js';
import { applyLiveControl, forgetLiveControl } from './live-control.js';
import { pacingEvents } from './pacing-status.js';
import { isDeepStrictEqual } from 'node:util';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** Reconciles one CsvImport: finalizer, budget admission, its Job, and its status. */
export async function reconcileImport(ctx: ControllerContext, namespace: string, name: string): Promise<void> {
  const key = `CsvImport/${namespace}/${name}`;
  let cr = ctx.watches.imports.get(namespace, name);
  if (!cr) {
    ctx.registry.release(key);
    ctx.metrics.forgetImport(namespace, name);
    requeueServer(ctx, key);
    return;
  }
  if (cr.metadata.deletionTimestamp) return finalizeImport(ctx, cr, key);
  if (!cr.metadata.finalizers?.includes(CLEANUP_FINALIZER)) {
    // Go on with the patched object rather than wait for the watch to bring it back: a first reconcile
    // creates the Job in one pass.
    const patched = await setFinalizers(ctx, cr, [...(cr.metadata.finalizers ?? []), CLEANUP_FINALIZER]);
    if (!patched) return;
    cr = patched;
  }

  const resolved = await resolveImportSpec(ctx, cr);
  const { secret, secretRefused } = resolved;
  const specError = resolved.specError ?? runnerSpecError(cr.spec.runner);
  const jobs = jobsOf(ctx, cr);
  const jobName = importJobName(cr);
  const current = jobs.find((j) => j.metadata?.name === jobName);
  // Pods are read, not watched: once when the Job ends (the termination message), and while it has no ready pod
  // (on each resync, to say why none starts). A run already recorded as finished, or running, needs none.
  const pods = current && !importFinished(cr) && (importJobEnded(current) || !jobHasReadyPod(current)) ? await podsOfJobs(ctx, namespace, [jobName]) : [];
  let admission: { admitted: boolean; message: string } | undefined;
  let budget: ServerBudget | undefined;
  if (secret && !specError && !importFinished(cr)) {
    if (current && (cr.status?.grantedConnections ?? 0) > 0) {
      // Its Job runs on a grant that is never taken back: no need to run the ledger again (the last one says
      // whether the budget sees every session).
      ctx.registry.seed(key, secret.server, 1);
      admission = { admitted: true, message: '' };
      budget = ctx.registry.lastBudget(secret.server);
    } else {
      budget = await decideServer(ctx, secret, key);
      admission = { admitted: ctx.registry.held(key) >= 1, message: describeWait(budget, key) ?? '' };
    }
  }
  const accuracy = budget && budgetAccuracy(budget.visibility);
  const observation = { cr, jobs, pods, admission, budgetAccuracy: accuracy, specError, secretRefused, now: new Date().toISOString() };
  let decision = decideImport(observation);

  for (const stale of decision.deleteJobs) {
    await unlessNotFound(ctx.api.batch.deleteNamespacedJob({ namespace, name: stale, propagationPolicy: 'Background' }));
  }
  const live = decision.status.phase === 'Admitted' || decision.status.phase === 'Running';
  if (secret && live) await applyLiveControl(ctx, cr, secret);
  if (decision.createJob && secret) {
    const refused = await createImportJob(ctx, buildImportJob(cr, secret, ctx.runnerPod));
    // A Job the API server refuses (its pod template, shaped by spec.runner, is invalid) fails the run like a bad spec.
    if (refused) decision = decideImport({ ...observation, specError: refused });
  }
  if (decision.status.phase === 'Running' && secret) {
    // A failed read keeps what the status had; a read that finds no pacing state drops it.
    const read = await readImportProgress(ctx.pools.forCredentials(secret), namespace, name, cr.status?.progress).catch(() => undefined);
    if (read?.progress) decision.status.progress = read.progress;
    if (read?.pacing) decision.status.pacing = read.pacing;
    else if (read) delete decision.status.pacing;
  }
  await writeStatus(ctx.api.custom, 'CsvImport', cr, (fresh) => (isDeepStrictEqual(fresh.status, decision.status) ? undefined : decision.status));
  if (decision.status.phase) ctx.metrics.setImportPhase(namespace, name, decision.status.phase);
  ctx.metrics.setImportPacing(namespace, name, decision.status.pacing);
  for (const e of [...decision.events, ...pacingEvents(cr.status?.pacing, decision.status.pacing)]) await ctx.events.record(cr, e.type, e.reason, e.message);
  if (!decision.holdsGrant && !decision.wantsAdmission) {
    const had = ctx.registry.held(key) > 0;
    ctx.registry.release(key);
    if (had) requeueServer(ctx, key);
  }
  // Live progress: pg_stat_progress_copy is read every few seconds while the Job runs (Job changes requeue anyway).
  if (decision.status.phase === 'Running') ctx.queue.addAfter(key, 5000);
}

/** Creates the import's Job; returns the API server's reason when it refuses the Job as invalid. */
async function createImportJob(ctx: ControllerContext, job: V1Job): Promise<string | undefined> {
  try {
    await ctx.api.batch.createNamespacedJob({ namespace: job.metadata?.namespace ?? '', body: job, fieldManager: FIELD_MANAGER });
  } catch (err) {
    if (httpStatus(err) === 409) return undefined; // already created by an earlier pass: the name is per generation
    const refused = refusedChildMessage(err, `the import's Job`);
    if (refused) return refused;
    throw err;
  }
  return undefined;
}

/**
 * The CR's Jobs, any generation: those its uid controls, never those that merely carry its label (a label value
 * holds at most 63 characters of a name, and a CR deleted and made again under the same name has a new uid). The
 * cache holds only bulkhead's Jobs, so reading the namespace's is cheap.
 */
function jobsOf(ctx: ControllerContext, cr: CsvImport): V1Job[] {
  return ctx.watches.jobs.list(cr.metadata.namespace).filter((j) => controlledBy(j, cr.metadata.uid));
}

/** The database Secret, or the spec problem that keeps the operator from running the import. */
async function resolveImportSpec(ctx: ControllerContext, cr: CsvImport): Promise<ResolvedDatabase> {
  if (cr.spec.source.path) return { specError: 'spec.source.path: Forbidden: a local path is for the command line and local mode; use url, configMap or persistentVolumeClaim' };
  return resolveDatabase(ctx.secrets, cr.metadata.namespace, cr.spec);
}

/** On delete: stop the Job, drop the staging tables, release the grant, then let the CR go. */
async function finalizeImport(ctx: ControllerContext, cr: CsvImport, key: string): Promise<void> {
  if (!cr.metadata.finalizers?.includes(CLEANUP_FINALIZER)) return;
  const { namespace, name } = cr.metadata;
  const jobs = jobsOf(ctx, cr);
  for (const job of jobs) {
    if (!job.metadata?.deletionTimestamp) await unlessNotFound(ctx.api.batch.deleteNamespacedJob({ namespace, name: job.metadata?.name ?? '', propagationPolicy: 'Background' }));
  }
  const podsLeft = await podsOfJobs(ctx, namespace, jobs.map((j) => j.metadata?.name ?? ''));
  if (podsLeft.length > 0) {
    ctx.queue.addAfter(key, 1000); // the runner is still stopping; staging is dropped once it is gone
    return;
  }
  const { secret } = await resolveImportSpec(ctx, cr);
  if (secret) {
    try {
      if (!(await dropImportStaging(ctx.pools, secret, namespace, name))) {
        ctx.queue.addAfter(key, 1000);
        return;
      }
    } catch (err) {
      ctx.log.warn({ event: 'staging-drop-failed', object: `${namespace}/${name}`, err: err instanceof Error ? err.message : String(err) }, 'could not drop the staging tables; a later import run drops them');
    }
    await forgetLiveControl(ctx, secret, namespace, name);
  }
  await setFinalizers(ctx, cr, (cr.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER));
  ctx.registry.release(key);
  requeueServer(ctx, key);
  ctx.log.info({ event: 'finalized', object: `${namespace}/${name}` }, 'removed the Job and staging of a deleted CsvImport');
}

/**
 * The pods of some Jobs, read from the API when needed (a Job's end, a Job with no ready pod, a deletion) rather
 * than watched: a pod cache would be the largest part of the operator's memory for a few reads per import.
 */
async function podsOfJobs(ctx: ControllerContext, namespace: string, jobNames: string[]): Promise<V1Pod[]> {
  const names = jobNames.filter(Boolean);
  if (names.length === 0) return [];
  const { items } = await ctx.api.core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL} in (${names.join(',')})` });
  return items;
}

/** Replaces the finalizer list, guarded by the resourceVersion it was read at; undefined when the CR is gone. */
async function setFinalizers(ctx: ControllerContext, cr: CsvImport, finalizers: string[]): Promise<CsvImport | undefined> {
  const { namespace, name, resourceVersion } = cr.metadata;
  try {
    return (await ctx.api.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: KINDS.CsvImport.plural, name, fieldManager: FIELD_MANAGER, body: { metadata: { finalizers, resourceVersion } } },
      MERGE_PATCH,
    )) as CsvImport;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw new Error(`while updating the finalizers of CsvImport ${namespace}/${name}: ${describeApiError(err)}`, { cause: err });
  }
}
