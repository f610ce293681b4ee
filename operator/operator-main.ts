import { AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { apiClientWithTimeout, objectApiWithTimeout } from './kube/request-timeout.js';
import { applicationName } from '../runners/shared/connection.js';
import { createLogger } from '../runners/shared/logger.js';
import { serveMetrics } from '../runners/shared/metrics-server.js';
import { listenForStop } from '../runners/shared/stop-signals.js';
import { BudgetRegistry } from './budget/budget-registry.js';
import { takeServerSnapshot } from './budget/server-snapshot.js';
import type { ControllerContext } from './controller-context.js';
import { reconcileImport } from './csv-import/import-controller.js';
import type { CsvImport } from './csv-import/import-job.js';
import { SecretCache } from './database/secret-cache.js';
import { ServerPools } from './database/server-pools.js';
import { describeApiError } from './kube/api-errors.js';
import { EventRecorder } from './kube/event-recorder.js';
import { LeaderElection } from './kube/leader-election.js';
import { controllerName } from './kube/ownership.js';
import { watchResource } from './kube/resource-watch.js';
import { customResourceKind, deploymentKind, jobKind } from './kube/watched-kinds.js';
import { WorkQueue } from './kube/work-queue.js';
import { observeServers } from './observer/observe-servers.js';
import { QueueSampler } from './observer/queue-sampler.js';
import { operatorConfig, type OperatorFlags } from './operator-config.js';
import { OperatorMetrics } from './operator-metrics.js';
import { closeUnusedPools } from './server-claims.js';
import { reconcileStressRun } from './stress-run/stress-run-controller.js';
import type { StressRun } from './stress-run/worker-deployment.js';

/** How long one API call of a reconcile may take: a connection gone silent must not hold a reconcile for ever. */
const RECONCILE_REQUEST_MS = 30_000;

/** `bulkhead operator`: watch, elect a leader, reconcile until SIGTERM. Returns the exit code. */
export async function operatorMain(flags: OperatorFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const config = operatorConfig(flags, env);
  const log = createLogger('operator');
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromDefault();
  // Every API call of a reconcile gives up after RECONCILE_REQUEST_MS; the reconcile then fails and is retried.
  const core = apiClientWithTimeout(kc, CoreV1Api, RECONCILE_REQUEST_MS);
  const api = {
    custom: apiClientWithTimeout(kc, CustomObjectsApi, RECONCILE_REQUEST_MS), core, batch: apiClientWithTimeout(kc, BatchV1Api, RECONCILE_REQUEST_MS),
    apps: apiClientWithTimeout(kc, AppsV1Api, RECONCILE_REQUEST_MS), objects: objectApiWithTimeout(kc, RECONCILE_REQUEST_MS),
  };
  const metrics = new OperatorMetrics();
  const stop = listenForStop(30_000);
  // Not ready until every watch has listed (or, on a standby, until the Lease could be read); the reason is the
  // body of /readyz. Not alive when the work queue has had work and finished none for --stall-seconds.
  let notReady: () => string | undefined = () => 'starting';
  const queue = new WorkQueue();
  const unhealthy = () => {
    const stalledMs = queue.stalledForMs();
    return stalledMs > config.stallMs ? `the work queue has had work for ${Math.round(stalledMs / 1000)}s without finishing any (--stall-seconds ${config.stallMs / 1000})` : undefined;
  };
  await serveMetrics(metrics.registry, config.port, { portFlag: '--port', notReady: () => notReady(), unhealthy });
  log.info({ event: 'start', namespaces: config.namespaces ?? 'all', identity: config.identity, leaderElect: config.leaderElect }, 'bulkhead operator starting');

  const election = config.leaderElect
    ? new LeaderElection(kc.makeApiClient(CoordinationV1Api), { ...config.lease, identity: config.identity }, log)
    : undefined;
  if (election) {
    notReady = () => election.problem; // a standby that can read the Lease is ready; it just does not reconcile
    // acquire() rejects once release() stops it; after a SIGTERM has won the race, that rejection is expected.
    const acquired = await Promise.race([election.acquire(() => process.exit(1)).then(() => true, () => false), stop.stopped.then(() => false)]);
    if (!acquired) {
      await election.release();
      log.info({ event: 'stopped' }, 'bulkhead operator stopped before it led');
      return 143;
    }
  }

  const pools = new ServerPools(applicationName('operator', config.namespace, config.identity), log);
  // A child's change reconciles its controller, named in full by its owner reference (its label holds at most 63
  // characters of the name).
  const enqueueOwner = (kind: string) => (o: KubernetesObject) => {
    const owner = controllerName(o, kind);
    if (owner) queue.add(`${kind}/${o.metadata?.namespace}/${owner}`);
  };
  const onImport = enqueueOwner('CsvImport');
  const onStress = enqueueOwner('StressRun');
  const ns = config.namespaces;
  const watches: ControllerContext['watches'] = {
    imports: watchResource<CsvImport>(kc, customResourceKind(api.custom, 'CsvImport'), ns, (o) => queue.add(`CsvImport/${o.metadata.namespace}/${o.metadata.name}`), log),
    stressRuns: watchResource<StressRun>(kc, customResourceKind(api.custom, 'StressRun'), ns, (o) => queue.add(`StressRun/${o.metadata.namespace}/${o.metadata.name}`), log),
    jobs: watchResource(kc, jobKind(api.batch), ns, onImport, log),
    deployments: watchResource(kc, deploymentKind(api.apps), ns, onStress, log),
  };
  const ctx: ControllerContext = {
    config,
    log,
    api,
    watches,
    queue,
    registry: new BudgetRegistry(config.headroom, (server) => {
      const pool = pools.existing(server);
      if (!pool) return Promise.reject(new Error(`no connection to ${server} yet`));
      return takeServerSnapshot(pool);
    }),
    secrets: new SecretCache(core),
    pools,
    sampler: new QueueSampler(config.observeIntervalMs),
    events: new EventRecorder(core, 'bulkhead-operator', log),
    metrics,
    runnerPod: { image: config.runnerImage, imagePullPolicy: config.imagePullPolicy, metricsPort: config.runnerMetricsPort, defaults: config.runnerPodDefaults },
  };
  notReady = () => {
    const reasons = Object.values(watches).map((w) => w.notSynced()).filter((r) => r !== undefined);
    return reasons.length > 0 ? `not synced: ${reasons.join('; ')}` : undefined;
  };
  // A SIGTERM before the caches synced skips reconciling altogether: nothing was synced, so nothing is said to be.
  const synced = await Promise.race([Promise.all(Object.values(watches).map((w) => w.synced)).then(() => true), stop.stopped.then(() => false)]);
  if (synced) {
    log.info({ event: 'synced' }, 'caches synced; reconciling');
    await reconcileUntilStopped(ctx, stop.stopped);
  } else {
    log.info({ event: 'stopping' }, 'stopping before the caches were synced');
  }
  await Promise.all(Object.values(watches).map((w) => w.stop()));
  await election?.release();
  await pools.end();
  stop.dispose();
  log.info({ event: 'stopped' }, 'bulkhead operator stopped');
  return 143;
}

/** Reconciles every CR on each change and resync, and watches the servers, until stopped resolves; then drains. */
async function reconcileUntilStopped(ctx: ControllerContext, stopped: Promise<void>): Promise<void> {
  const { config, log, metrics, pools, queue, watches } = ctx;
  const enqueueAll = () => {
    for (const cr of watches.imports.list()) queue.add(`CsvImport/${cr.metadata.namespace}/${cr.metadata.name}`);
    for (const cr of watches.stressRuns.list()) queue.add(`StressRun/${cr.metadata.namespace}/${cr.metadata.name}`);
  };
  enqueueAll();
  const resync = setInterval(() => {
    enqueueAll();
    void closeUnusedPools(ctx);
  }, config.resyncMs);
  // Lock-wait labels: only the application_names of this operator and of its CRs' runners, never a client's choice.
  const knownApplications = () => new Set([
    applicationName('operator', config.namespace, config.identity),
    ...watches.imports.list().map((cr) => applicationName('import', cr.metadata.namespace, cr.metadata.name)),
    ...watches.stressRuns.list().map((cr) => applicationName('worker', cr.metadata.namespace, cr.metadata.name)),
  ]);
  const stopObserving = observeServers(pools, metrics, config.observeIntervalMs, log, knownApplications);
  const running = queue.run(4, async (key) => {
    const [kind, namespace = '', name = ''] = key.split('/');
    try {
      if (kind === 'CsvImport') await metrics.timeReconcile('CsvImport', () => reconcileImport(ctx, namespace, name));
      else await metrics.timeReconcile('StressRun', () => reconcileStressRun(ctx, namespace, name));
      queue.forget(key);
    } catch (err) {
      const retryMs = queue.retry(key);
      log.warn({ event: 'reconcile-failed', object: key, err: describeApiError(err), retryMs }, `reconcile of ${key} failed; retrying`);
    }
  });

  await stopped;
  log.info({ event: 'stopping' }, 'stopping: finishing the reconciles in flight');
  clearInterval(resync);
  stopObserving();
  queue.stop();
  await running;
}
