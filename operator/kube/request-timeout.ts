import { createConfiguration, KubernetesObjectApi, Observable, ServerConfiguration, type Configuration, type ConfigurationOptions, type KubeConfig, type ObservableMiddleware, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

/**
 * Per-call options for a client-node 1.x API method that abort the request after ms: a middleware hands the
 * RequestContext an AbortSignal, which the fetch underneath honours (the call then rejects with an AbortError).
 * Without it a call on a connection that has gone silent waits for ever.
 */
export function timeoutOptions(ms: number): ConfigurationOptions<ObservableMiddleware> {
  return { middleware: [abortAfter(ms)], middlewareMergeStrategy: 'append' };
}

function abortAfter(ms: number): ObservableMiddleware {
  return {
    pre: (request: RequestContext) => {
      request.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(request));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
}

/**
 * kc.makeApiClient, with every call of the client aborted after ms unless the call passes its own timeoutOptions
 * (appended, so it wins): a reconcile's reads and writes can then never wait for ever on a silent connection.
 */
export function apiClientWithTimeout<T>(kc: KubeConfig, apiClientType: new (config: Configuration) => T, ms: number): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  return new apiClientType(createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    middleware: [abortAfter(ms)],
  }));
}

/** KubernetesObjectApi.makeApiClient with the same bound on every call. */
export function objectApiWithTimeout(kc: KubeConfig, ms: number): KubernetesObjectApi {
  return apiClientWithTimeout(kc, class extends KubernetesObjectApi {
    constructor(config: Configuration) {
      super(config);
      this.setDefaultNamespace(kc);
    }
  }, ms);
}
