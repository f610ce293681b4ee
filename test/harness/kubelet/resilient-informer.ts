/**
 * A client-node informer that keeps going. In client-node 1.x an informer restarts its watch by itself only after
 * a 410 Gone; any other error (the API server restarting, a refused connection) stops it for good. Here every
 * error restarts it, after a backoff of 100 ms doubling to 3 s; the backoff resets once events flow again.
 */
import { makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ListPromise, type ObjectCache } from '@kubernetes/client-node';
import { retryDelayMs } from './api-errors.js';

/** Handlers for what the informer sees. */
export interface InformerHandlers<T extends KubernetesObject> {
  /** Added or changed (also for every object of a relist). */
  upsert: (obj: T) => void;
  removed: (obj: T) => void;
  /** A watch or list error, before the restart. */
  warn: (message: string) => void;
}

/** A started informer; stop() ends it for good. */
export interface ResilientInformer<T extends KubernetesObject> {
  cache: ObjectCache<T>;
  stop(): Promise<void>;
}

/** Starts an informer on path (listed by list) that restarts after any error. */
export async function startResilientInformer<T extends KubernetesObject>(
  kubeConfig: KubeConfig, path: string, list: ListPromise<T>, handlers: InformerHandlers<T>,
): Promise<ResilientInformer<T>> {
  const informer: Informer<T> & ObjectCache<T> = makeInformer(kubeConfig, path, list);
  let stopped = false;
  let attempt = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const healthy = () => (attempt = 0);
  informer.on('add', (obj) => { healthy(); handlers.upsert(obj); });
  informer.on('update', (obj) => { healthy(); handlers.upsert(obj); });
  informer.on('delete', (obj) => { healthy(); handlers.removed(obj); });
  informer.on('error', (err: unknown) => {
    if (stopped || restartTimer) return;
    if (attempt === 3) handlers.warn(`watch of ${path} failing, restarting it: ${String(err)}`);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (!stopped) informer.start().catch(() => undefined);
    }, retryDelayMs(attempt++));
  });
  await informer.start();
  return {
    cache: informer,
    stop: async () => {
      stopped = true;
      clearTimeout(restartTimer);
      await informer.stop();
    },
  };
}
