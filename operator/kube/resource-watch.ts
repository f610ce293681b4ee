import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../runners/shared/logger.js';

/** What a watch reports: the object's namespace/name, after its cache has changed. */
export type WatchListener<T> = (object: T, verb: 'add' | 'update' | 'delete') => void;

/** One resource type watched in one or more namespaces, with a cache that lists across them. */
export interface ResourceWatch<T extends KubernetesObject> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
  /** Resolves once every namespace's first list has arrived. */
  synced: Promise<void>;
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

const MAX_BACKOFF_MS = 30_000;

/**
 * Watches a resource through client-node informers, one per namespace (or one cluster-wide). client-node 1.x
 * stops an informer on any error other than 410 Gone, so each is restarted here with exponential backoff
 * (1 s doubling to 30 s, reset by a successful connect); its cache and listeners carry over.
 */
export function watchResource<T extends KubernetesObject>(kc: KubeConfig, kind: ResourceKind<T>, namespaces: readonly string[] | undefined, onChange: WatchListener<T>, log: Logger): ResourceWatch<T> {
  let stopped = false;
  const scopes = namespaces && namespaces.length > 0 ? namespaces : [undefined];
  const informers = scopes.map((namespace) => {
    const informer = makeInformer<T>(kc, kind.path(namespace), () => kind.list(namespace), kind.labelSelector);
    let backoff = 1000;
    let timer: NodeJS.Timeout | undefined;
    const slim = (o: T): T => {
      slimObject(o);
      kind.slim?.(o);
      return o;
    };
    informer.on('add', (o) => onChange(slim(o), 'add'));
    informer.on('update', (o) => onChange(slim(o), 'update'));
    informer.on('delete', (o) => onChange(o, 'delete'));
    informer.on('connect', () => (backoff = 1000));
    informer.on('error', (err) => {
      if (stopped) return;
      log.warn({ event: 'watch-error', what: kind.what, namespace, err: describe(err), retryInMs: backoff }, `watch of ${kind.what} failed; restarting`);
      clearTimeout(timer);
      timer = setTimeout(() => void startWithRetry(), backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    });
    let firstList: (() => void) | undefined;
    const synced = new Promise<void>((resolve) => (firstList = resolve));
    const startWithRetry = async (): Promise<void> => {
      if (stopped) return;
      try {
        await informer.start();
        firstList?.();
      } catch (err) {
        // start() rejects when the first list fails; the error listener above already scheduled a retry
        // only for watch errors, so schedule one here too.
        log.warn({ event: 'list-error', what: kind.what, namespace, err: describe(err), retryInMs: backoff }, `listing ${kind.what} failed; retrying`);
        clearTimeout(timer);
        timer = setTimeout(() => void startWithRetry(), backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    };
    void startWithRetry();
    return { informer, synced, stop: async () => (clearTimeout(timer), informer.stop()) };
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
    stop: async () => {
      stopped = true;
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
