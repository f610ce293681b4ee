import type { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, V1Deployment, V1Job } from '@kubernetes/client-node';
import type { Logger } from '../runners/shared/logger.js';
import type { BudgetRegistry } from './budget/budget-registry.js';
import type { SecretCache } from './database/secret-cache.js';
import type { ServerPools } from './database/server-pools.js';
import type { CsvImport } from './csv-import/import-job.js';
import type { EventRecorder } from './kube/event-recorder.js';
import type { ResourceWatch } from './kube/resource-watch.js';
import type { WorkQueue } from './kube/work-queue.js';
import type { QueueSampler } from './observer/queue-sampler.js';
import type { OperatorConfig } from './operator-config.js';
import type { OperatorMetrics } from './operator-metrics.js';
import type { RunnerPodSettings } from './pods/runner-pod.js';
import type { StressRun } from './stress-run/worker-deployment.js';

/** Everything a reconcile needs, built once by operator-main.ts. */
export interface ControllerContext {
  config: OperatorConfig;
  log: Logger;
  api: { custom: CustomObjectsApi; core: CoreV1Api; batch: BatchV1Api; apps: AppsV1Api; objects: KubernetesObjectApi };
  watches: {
    imports: ResourceWatch<CsvImport>;
    stressRuns: ResourceWatch<StressRun>;
    jobs: ResourceWatch<V1Job>;
    deployments: ResourceWatch<V1Deployment>;
  };
  queue: WorkQueue;
  registry: BudgetRegistry;
  secrets: SecretCache;
  pools: ServerPools;
  sampler: QueueSampler;
  events: EventRecorder;
  metrics: OperatorMetrics;
  runnerPod: RunnerPodSettings;
}

/** The finalizer that lets the operator clean up a CsvImport's Job and staging before it goes. */
export const CLEANUP_FINALIZER = 'bulkhead.dev/cleanup';
