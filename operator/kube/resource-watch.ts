import { performance } from 'node:perf_hooks';
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../runners/shared/logger.js';
import { describeApiError, httpStatus } from './api-errors.js';

/** What a watch reports: the object's namespace/name, after its cache has changed. */
export type WatchListener<T> = (object: T, verb: 'add' | 'update' | 'delete') => void;

/** One resource type watched in one or more namespaces, with a cache that lists across them. */
export interface ResourceWatch<T extends KubernetesObject> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
  /** Resolves once every namespace's first list has succeeded (never on a failed one). */
  synced: Promise<void>;
  /** Why the watch is not synced yet (the last error of each namespace that never listed); undefined once synced. */
  notSynced(): string | undefined;
  stop(): Promise<void>;
}

/** How to list one resource: its collection path under a namespace (or cluster-wide when namespace is undefined). */
export interface ResourceKind<T extends KubernetesObject> {
  what: string;
  path: (namespace: string | undefined) => string;
  list: (namespace: string | undefined) => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  /** Drops what the operator never reads from each cached object, in place (see slimObject). */
  slim?: (object: T) => void;
}

/**
 * What no cached object needs: managedFields, and kubectl's last-applied annotation (a second copy of the whole
 * spec). With hundreds of CRs and Jobs these are most of the cache, so they are dropped as objects arrive, as
 * controller-runtime's managed-fields transform does. client-node hands the callbacks the cached object itself.
 */
export function slimObject(object: KubernetesObject): void {
  if (!object.metadata) return;
  delete object.metadata.managedFields;
  delete object.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
}

/** Retry delays after a failed list or watch: from FIRST_BACKOFF_MS doubling to MAX_BACKOFF_MS. */
export const FIRST_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 30_000;
/** An attempt (list and watch) that lasted this long before it failed was healthy: the next retry starts over. */
export const STAYED_UP_MS = 30_000;

/**
 * Watches a resource through client-node informers, one per namespace (or one cluster-wide). client-node 1.x
 * stops an informer on any error other than 410 Gone, so each is restarted here with exponential backoff. Two
 * client-node habits shape this: it fires `connect` before it lists (so a connect says nothing about the server
 * being reachable), and its start() resolves even when the list failed (the error goes to the error listeners).
 * So a scope counts as synced only when its own list function returned, and the backoff starts over only after an
 * attempt that stayed up for STAYED_UP_MS; an API server that refuses every request is asked less and less often.
 */
export function watchResource<T extends KubernetesObject>(kc: KubeConfig, kind: ResourceKind<T>, namespaces: readonly string[] | undefined, onChange: WatchListener<T>, log: Logger): ResourceWatch<T> {
  let stopped = false;
  const scopes = namespaces && namespaces.length > 0 ? namespaces : [undefined];
  const informers = scopes.map((namespace) => {
    const where = namespace ? `${kind.what} in namespace ${namespace}` : `${kind.what} in all namespaces`;
    let listed = false;
    let lastError: string | undefined;
    let backoff = FIRST_BACKOFF_MS;
    let attemptAt = 0;
    let timer: NodeJS.Timeout | undefined;
    let firstList: (() => void) | undefined;
    const synced = new Promise<void>((resolve) => (firstList = resolve));
    const list = async () => {
      const result = await kind.list(namespace);
      listed = true;
      // The informer fills its cache from the list in the microtask after this returns: synced resolves after that,
      // and without waiting for the watch request that follows (start() resolves only once that is answered).
      setImmediate(() => firstList?.());
      return result;
    };
    const informer = makeInformer<T>(kc, kind.path(namespace), list, kind.labelSelector);
    const slim = (o: T): T => {
      slimObject(o);
      kind.slim?.(o);
      return o;
    };
    informer.on('add', (o) => onChange(slim(o), 'add'));
    informer.on('update', (o) => onChange(slim(o), 'update'));
    informer.on('delete', (o) => onChange(o, 'delete'));
    const retry = (err: unknown) => {
      if (stopped) return;
      if (performance.now() - attemptAt >= STAYED_UP_MS) backoff = FIRST_BACKOFF_MS;
      lastError = describeWatchError(err, kind.what);
      const message = listed ? `watch of ${where} failed; restarting` : `listing ${where} failed; not ready until it succeeds`;
      log.warn({ event: listed ? 'watch-error' : 'list-error', what: kind.what, namespace, err: lastError, retryInMs: backoff }, message);
      clearTimeout(timer);
      timer = setTimeout(() => void start(), backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    };
    informer.on('error', retry);
    const start = async (): Promise<void> => {
      if (stopped) return;
      attemptAt = performance.now();
      try {
        await informer.start();
      } catch (err) {
        retry(err); // errors normally reach the error listener; one thrown before the request is retried the same way
      }
    };
    void start();
    return {
      informer,
      synced,
      notSynced: () => (listed ? undefined : `${where}: ${lastError ?? 'the first list has not been answered yet'}`),
      stop: async () => (clearTimeout(timer), informer.stop()),
    };
  });
  return {
    get: (namespace, name) => {
      for (const { informer } of informers) {
        const found = informer.get(name, namespace);
        if (found) return found;
      }
      return undefined;
    },
    list: (namespace) => informers.flatMap(({ informer }) => [...informer.list(namespace)]),
    synced: Promise.all(informers.map((i) => i.synced)).then(() => undefined),
    notSynced: () => {
      const reasons = informers.map((i) => i.notSynced()).filter((r) => r !== undefined);
      return reasons.length > 0 ? reasons.join('; ') : undefined;
    },
    stop: async () => {
      stopped = true;
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}

/** An error of a list or watch, with what a 404 (no CRD) or a 403 (no RBAC) asks the user to do. */
function describeWatchError(err: unknown, what: string): string {
  const status = httpStatus(err);
  const described = describeApiError(err);
  if (status === 404) return `${described}: the API server does not serve ${what}; is its CustomResourceDefinition installed?`;
  if (status === 403) return `${described}${/forbidden/i.test(described) ? '' : ': forbidden'}; the operator's RBAC must allow list and watch on ${what}`;
  return described;
}
