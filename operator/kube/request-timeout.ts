import { Observable, type ConfigurationOptions, type ObservableMiddleware, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

/**
 * Per-call options for a client-node 1.x API method that abort the request after ms: a middleware hands the
 * RequestContext an AbortSignal, which the fetch underneath honours (the call then rejects with an AbortError).
 * Without it a call on a connection that has gone silent waits for ever.
 */
export function timeoutOptions(ms: number): ConfigurationOptions<ObservableMiddleware> {
  const abortAfter: ObservableMiddleware = {
    pre: (request: RequestContext) => {
      request.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(request));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [abortAfter], middlewareMergeStrategy: 'append' };
}
