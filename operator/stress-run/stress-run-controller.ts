import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { budgetAccuracy, type BudgetAccuracy } from '../budget/budget-accurate.js';
import { describeWait } from '../budget/server-budget.js';
import type { ControllerContext } from '../controller-context.js';
import { resolveDatabase } from '../database/resolve-database.js';
import { unlessNotFound } from '../kube/api-errors.js';
import { refusedChildMessage } from '../pods/child-refused.js';
import { runnerSpecError } from '../pods/runner-pod-options.js';
import { controlledBy, FIELD_MANAGER } from '../kube/ownership.js';
import { writeStatus } from '../kube/status-writer.js';
import { decideServer, requeueServer } from '../server-claims.js';
import { decideStressRun, stressRunEnded } from './decide-stress-run.js';
import { podsTrouble } from '../pods/pod-trouble.js';
import { buildWorkerDeployment, workerDeploymentName, workerSelector } from './worker-deployment.js';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Reconciles one StressRun: budget grant, the workers' Deployment (server-side applied), and status. */
export async function reconcileStressRun(ctx: ControllerContext, namespace: string, name: string): Promise<void> {
  const key = `StressRun/${namespace}/${name}`;
  const cr = ctx.watches.stressRuns.get(namespace, name);
  if (!cr) {
    // The Deployment goes with its owner reference; the grant goes now.
    ctx.registry.release(key);
    ctx.sampler.forget(key);
    ctx.metrics.removeQueueRows(`${namespace}/${name}`);
    requeueServer(ctx, key);
    return;
  }
  const runnerError = runnerSpecError(cr.spec.runner);
  const { secret, specError, secretRefused } = runnerError ? { specError: runnerError } : await resolveDatabase(ctx.secrets, namespace, cr.spec);
  let grant = { workers: 0, message: undefined as string | undefined };
  let accuracy: BudgetAccuracy | undefined;
  let queue;
  if (secret && !specError) {
    if (!stressRunEnded(cr) && !cr.metadata.deletionTimestamp) {
      const budget = await decideServer(ctx, secret, key);
      grant = { workers: ctx.registry.held(key), message: describeWait(budget, key) };
      accuracy = budgetAccuracy(budget.visibility);
    }
    queue = await ctx.sampler.sample(key, ctx.pools.forCredentials(secret), cr.spec.queue).catch((err: unknown) => {
      ctx.log.warn({ event: 'queue-sample-failed', object: `${namespace}/${name}`, err: err instanceof Error ? err.message : String(err) }, 'could not sample the queue table');
      return undefined;
    });
    if (queue) ctx.metrics.setQueueRows(`${namespace}/${name}`, queue.queue);
  }
  // The CR's Deployments are those its uid controls; one by another name (the name a longer CR name had before it
  // was bounded) is stale, and goes.
  const owned = ctx.watches.deployments.list(namespace).filter((d) => controlledBy(d, cr.metadata.uid));
  const deployment = owned.find((d) => d.metadata?.name === workerDeploymentName(cr));
  for (const stale of owned.filter((d) => d !== deployment && !d.metadata?.deletionTimestamp)) {
    await unlessNotFound(ctx.api.apps.deleteNamespacedDeployment({ namespace, name: stale.metadata?.name ?? '' }));
  }
  // Worker pods are listed, not watched (a pod cache would dwarf the rest), and only while fewer are ready than wanted.
  const wanted = deployment?.spec?.replicas ?? 0;
  const pods = wanted > (deployment?.status?.readyReplicas ?? 0) ? (await ctx.api.core.listNamespacedPod({ namespace, labelSelector: workerSelector(cr) })).items : [];
  const observation = { cr, deployment, grant, budgetAccuracy: accuracy, specError, secretRefused, queue, podTrouble: podsTrouble(pods), now: new Date().toISOString() };
  let decision = decideStressRun(observation);

  let applied = false;
  if (decision.replicas !== undefined && secret) {
    const refused = await applyWorkers(ctx, buildWorkerDeployment(cr, secret, ctx.runnerPod, decision.replicas));
    // A Deployment the API server refuses (its pod template, shaped by spec.runner, is invalid) stops the run like a bad spec.
    if (refused) decision = decideStressRun({ ...observation, specError: refused });
    else applied = true;
  }
  if (!applied && decision.replicas === 0 && deployment) {
    // No usable Secret or pod template to build the Deployment from: stop the workers that run without touching the rest.
    await ctx.api.apps.patchNamespacedDeployment({ namespace, name: workerDeploymentName(cr), body: { spec: { replicas: 0 } }, fieldManager: FIELD_MANAGER }, MERGE_PATCH);
  }
  await writeStatus(ctx.api.custom, 'StressRun', cr, (fresh) => (isDeepStrictEqual(fresh.status, decision.status) ? undefined : decision.status));
  for (const e of decision.events) await ctx.events.record(cr, e.type, e.reason, e.message);
  if (decision.claimWorkers === 0) {
    const had = ctx.registry.held(key) > 0;
    ctx.registry.release(key);
    if (had) requeueServer(ctx, key);
  }
  const next = Math.min(ctx.config.observeIntervalMs, decision.endsInMs ?? Infinity);
  ctx.queue.addAfter(key, Math.max(100, next));
}

/** Server-side applies the workers' Deployment; returns the API server's reason when it refuses it as invalid. */
async function applyWorkers(ctx: ControllerContext, body: V1Deployment): Promise<string | undefined> {
  try {
    // Server-side apply with force: the operator owns replicas, so a hand edit of them is put back. An apply
    // refuses unknown fields (a typo in spec.runner.affinity) on its own.
    await ctx.api.objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    return undefined;
  } catch (err) {
    const refused = refusedChildMessage(err, "the workers' Deployment");
    if (refused) return refused;
    throw err;
  }
}
